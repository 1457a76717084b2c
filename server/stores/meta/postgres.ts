import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from '../../logger';
import { describePostgresUrl, type Secret } from '../../config/stores';
import { errorCode, networkCode, StoreStartError, TRANSIENT_ERRNO } from '../errors';
import { migrationProvider } from './migrations';
import { kyselyMetaStore, type CacheTransaction } from './kysely';
import type { Database } from './schema';
import type { MetaStore } from './types';

export interface PostgresOptions {
	/** postgres://… (may carry `?options=-c search_path=…` to use another schema). */
	url: Secret;
	/** Connections per instance. */
	poolSize?: number;
	logger?: Logger;
}

const DEFAULT_POOL_SIZE = 10;
const CONNECT_TIMEOUT_MS = 10_000;
const INT8_OID = 20;

/**
 * BIGINT columns (sizes, millisecond times) come back as numbers: every value we store fits in
 * 2^53, and the shared queries expect numbers from both dialects.
 */
const types: pg.CustomTypesConfig = {
	getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
		oid === INT8_OID && format !== 'binary'
			? (text: string) => Number(text)
			: pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser']
};

/**
 * Connects to PostgreSQL, checks that it answers, and brings the schema up to date. Failures
 * become a StoreStartError with a one-line message naming the server, never the credentials.
 */
export async function openPostgresMetaStore(options: PostgresOptions): Promise<MetaStore> {
	const where = describePostgresUrl(options.url);
	const pool = new pg.Pool({
		connectionString: options.url.reveal(),
		max: options.poolSize ?? DEFAULT_POOL_SIZE,
		connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
		types
	});
	// An idle connection that breaks (the server restarted) is reported here; without a listener
	// the process would crash. The pool replaces it on the next query.
	pool.on('error', (error) => options.logger?.warn({ err: error, store: 'postgres' }, 'idle PostgreSQL connection failed'));
	try {
		const client = await pool.connect();
		client.release();
	} catch (error) {
		await pool.end().catch(() => {});
		throw connectError(error, where);
	}

	const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
	try {
		await migrate(db);
	} catch (error) {
		await db.destroy();
		throw new StoreStartError('DB_MIGRATION_FAILED', `PostgreSQL at ${where}: migration failed: ${firstLine(error)}`, { cause: error });
	}
	return kyselyMetaStore(db, {
		transient: postgresTransient,
		cacheTransaction: postgresCacheTransaction
	});
}

/**
 * A transaction whose commit is not flushed (kysely.ts, cacheTransaction): the same trade as
 * SQLite's NORMAL. The commit returns before its WAL record is flushed; a crash of the database
 * may lose it, never half-apply it, and the next synchronous commit flushes it along with its own.
 */
export const postgresCacheTransaction: CacheTransaction = (db, work) =>
	db.transaction().execute(async (trx) => {
		await sql`SET LOCAL synchronous_commit = off`.execute(trx);
		return work(trx);
	});

/** SQLSTATEs that mean "retry later": serialization failure, deadlock, lock timeout, too many connections, shutting down. */
const SQLSTATE_TRANSIENT = new Set(['40001', '40P01', '55P03', '53300', '57P01', '57P03']);

function postgresTransient(error: unknown): string | undefined {
	const code = errorCode(error);
	if (code !== undefined && SQLSTATE_TRANSIENT.has(code)) return code;
	// The server cannot be reached right now (restarting, failing over).
	const network = networkCode(error);
	return network !== undefined && TRANSIENT_ERRNO.has(network) ? network : undefined;
}

async function migrate(db: Kysely<Database>): Promise<void> {
	// Kysely's introspection sees every schema of the database, so the migration tables are
	// pinned to the schema we work in (several installations or test runs may share a database).
	const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
	const schema = rows[0]?.schema;
	if (!schema) throw new Error('no schema in the search_path exists');
	// Instances starting together are serialized by Kysely's migration lock (a PostgreSQL
	// advisory lock); the loser then finds nothing left to do.
	const migrator = new Migrator({ db, provider: migrationProvider({ binary: 'bytea' }), migrationTableSchema: schema });
	const { error } = await migrator.migrateToLatest();
	if (error) throw error instanceof Error ? error : new Error(String(error));
}

function connectError(error: unknown, where: string): StoreStartError {
	const code = (error as { code?: unknown } | null)?.code;
	const hint = 'check SEALDROP_DATABASE_URL';
	if (code === '28P01' || code === '28000') {
		return new StoreStartError('DB_AUTH_FAILED', `PostgreSQL at ${where} refused the login (${code}); ${hint}.`, { cause: error });
	}
	if (code === '3D000') {
		return new StoreStartError('DB_NOT_FOUND', `PostgreSQL at ${where}: the database does not exist; create it or ${hint}.`, {
			cause: error
		});
	}
	const network = networkCode(error);
	if (network !== undefined || /timeout/i.test(firstLine(error))) {
		return new StoreStartError('DB_UNREACHABLE', `PostgreSQL at ${where} is unreachable (${network ?? 'timeout'}); ${hint}.`, {
			cause: error
		});
	}
	return new StoreStartError('DB_UNREACHABLE', `PostgreSQL at ${where} failed: ${firstLine(error)}; ${hint}.`, { cause: error });
}

/** PostgreSQL's messages name objects and settings, not passwords; still, one line is enough. */
function firstLine(error: unknown): string {
	const message = error instanceof Error ? error.message : String(error);
	return message.split('\n')[0] ?? '';
}
