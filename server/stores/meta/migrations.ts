import type { Kysely, Migration, MigrationProvider } from 'kysely';

/** The one SQL type that differs between the dialects we target. */
export interface DialectTypes {
	binary: 'blob' | 'bytea';
}

/**
 * Migrations live in code (no files to ship or find at run time). Never edit one that has been
 * released: add the next one.
 */
export function migrationProvider(types: DialectTypes): MigrationProvider {
	const migrations: Record<string, Migration> = {
		'0001_initial': {
			async up(db: Kysely<unknown>) {
				await db.schema
					.createTable('shares')
					.addColumn('id', 'text', (col) => col.primaryKey())
					.addColumn('state', 'text', (col) => col.notNull())
					.addColumn('size', 'bigint', (col) => col.notNull())
					.addColumn('part_size', 'bigint', (col) => col.notNull())
					.addColumn('parts', 'integer', (col) => col.notNull())
					.addColumn('header', types.binary)
					.addColumn('metadata', types.binary)
					.addColumn('read_token_hash', types.binary)
					.addColumn('owner_token_hash', types.binary)
					.addColumn('expires_in', 'integer', (col) => col.notNull())
					.addColumn('expires_at', 'bigint')
					.addColumn('max_downloads', 'integer', (col) => col.notNull())
					.addColumn('downloads', 'integer', (col) => col.notNull().defaultTo(0))
					.addColumn('created_at', 'bigint', (col) => col.notNull())
					.addColumn('completed_at', 'bigint')
					.addColumn('last_part_at', 'bigint', (col) => col.notNull())
					.addColumn('last_claim_at', 'bigint')
					.addColumn('ended_at', 'bigint')
					.addColumn('blob_upload', 'text')
					.addColumn('blob_gone', 'integer', (col) => col.notNull().defaultTo(0))
					.execute();
				// The sweeper's scans: by state and the time that ends that state.
				await db.schema.createIndex('shares_state_expires_at').on('shares').columns(['state', 'expires_at']).execute();
				await db.schema.createIndex('shares_state_last_part_at').on('shares').columns(['state', 'last_part_at']).execute();
				await db.schema.createIndex('shares_state_ended_at').on('shares').columns(['state', 'ended_at']).execute();
				await db.schema.createIndex('shares_blob_gone_state').on('shares').columns(['blob_gone', 'state']).execute();

				await db.schema
					.createTable('parts')
					.addColumn('share_id', 'text', (col) => col.notNull().references('shares.id').onDelete('cascade'))
					.addColumn('n', 'integer', (col) => col.notNull())
					.addColumn('size', 'bigint', (col) => col.notNull())
					.addColumn('etag', 'text')
					.addPrimaryKeyConstraint('parts_pk', ['share_id', 'n'])
					.execute();

				await db.schema
					.createTable('tickets')
					.addColumn('hash', types.binary, (col) => col.primaryKey())
					.addColumn('share_id', 'text', (col) => col.notNull().references('shares.id').onDelete('cascade'))
					.addColumn('expires_at', 'bigint', (col) => col.notNull())
					.execute();
				await db.schema.createIndex('tickets_share_id_expires_at').on('tickets').columns(['share_id', 'expires_at']).execute();
				await db.schema.createIndex('tickets_expires_at').on('tickets').column('expires_at').execute();
			}
		},
		'0002_attempts': {
			async up(db: Kysely<unknown>) {
				// Wrong-token counters, shared by every instance (server/shares/attempts.ts).
				await db.schema
					.createTable('attempts')
					.addColumn('key', 'text', (col) => col.primaryKey())
					.addColumn('count', 'integer', (col) => col.notNull())
					.addColumn('reset_at', 'bigint', (col) => col.notNull())
					.execute();
				await db.schema.createIndex('attempts_reset_at').on('attempts').column('reset_at').execute();
			}
		},
		'0003_accounts': {
			async up(db: Kysely<unknown>) {
				await db.schema
					.createTable('users')
					.addColumn('id', 'text', (col) => col.primaryKey())
					.addColumn('name', 'text', (col) => col.notNull().unique())
					.addColumn('password_hash', 'text', (col) => col.notNull())
					.addColumn('disabled', 'integer', (col) => col.notNull().defaultTo(0))
					.addColumn('quota_bytes', 'bigint')
					.addColumn('quota_shares', 'integer')
					.addColumn('max_expiry', 'integer')
					.addColumn('created_at', 'bigint', (col) => col.notNull())
					.addColumn('updated_at', 'bigint', (col) => col.notNull())
					.execute();
				await db.schema
					.createTable('sessions')
					.addColumn('hash', types.binary, (col) => col.primaryKey())
					.addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
					.addColumn('created_at', 'bigint', (col) => col.notNull())
					.addColumn('expires_at', 'bigint', (col) => col.notNull())
					.execute();
				await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();
				await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();
				await db.schema
					.createTable('api_tokens')
					.addColumn('id', 'text', (col) => col.primaryKey())
					.addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
					.addColumn('name', 'text', (col) => col.notNull())
					.addColumn('hash', types.binary, (col) => col.notNull().unique())
					.addColumn('created_at', 'bigint', (col) => col.notNull())
					.addColumn('last_used_at', 'bigint')
					.execute();
				await db.schema.createIndex('api_tokens_user_id').on('api_tokens').column('user_id').execute();
				// No foreign key: users are disabled, never deleted, and SQLite cannot add one to an
				// existing table. The index serves the quota sums (live shares of one user).
				await db.schema.alterTable('shares').addColumn('owner_user_id', 'text').execute();
				await db.schema.createIndex('shares_owner_user_id_state').on('shares').columns(['owner_user_id', 'state']).execute();
			}
		},
		'0004_completing': {
			async up(db: Kysely<unknown>) {
				// Set while a complete seals the parts (server/shares/upload.ts): no part is recorded then.
				await db.schema.alterTable('shares').addColumn('completing_since', 'bigint').execute();
			}
		},
		'0005_password_key_share': {
			async up(db: Kysely<unknown>) {
				// Format v2 password shares (FORMAT.md §3): wiped with the other secrets (share-row.ts WIPED).
				for (const column of ['key_share', 'key_commitment', 'unlock_token_hash']) {
					await db.schema.alterTable('shares').addColumn(column, types.binary).execute();
				}
			}
		},
		'0006_file_requests': {
			async up(db: Kysely<unknown>) {
				// File requests (docs/API.md): the request, and its submissions as shares that point at it.
				await db.schema
					.createTable('requests')
					.addColumn('id', 'text', (col) => col.primaryKey())
					.addColumn('state', 'text', (col) => col.notNull())
					.addColumn('owner_token_hash', types.binary)
					.addColumn('public_key', types.binary)
					.addColumn('key_tag', types.binary)
					.addColumn('sealed_info', types.binary)
					.addColumn('expires_at', 'bigint', (col) => col.notNull())
					.addColumn('max_submissions', 'integer', (col) => col.notNull())
					.addColumn('max_submission_bytes', 'bigint', (col) => col.notNull())
					.addColumn('submissions', 'integer', (col) => col.notNull().defaultTo(0))
					.addColumn('created_at', 'bigint', (col) => col.notNull())
					.addColumn('ended_at', 'bigint')
					.addColumn('owner_user_id', 'text')
					.execute();
				await db.schema.createIndex('requests_state_expires_at').on('requests').columns(['state', 'expires_at']).execute();
				// No foreign key: SQLite cannot add one to an existing table; the sweeper ends submissions with their request.
				await db.schema.alterTable('shares').addColumn('request_id', 'text').execute();
				await db.schema.alterTable('shares').addColumn('ephemeral_key', types.binary).execute();
				await db.schema.createIndex('shares_request_id_state').on('shares').columns(['request_id', 'state']).execute();
			}
		}
	};
	return { getMigrations: async () => migrations };
}
