import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AccountStore, ApiTokenRecord, NewUser, QuotaRefusal, Usage, UserLimits, UserRecord } from './account-types';
import type { Database, UsersTable } from './schema';
import { newShareRow, num, numOrNull } from './share-row';
import type { NewShare } from './types';

const LIVE_STATES = ['uploading', 'ready'] as const;
/** last_used_at is written at most this often per token: enough to show, cheap to keep. */
const TOUCH_EVERY_MS = 60_000;

function toUser(row: Selectable<UsersTable>): UserRecord {
	return {
		id: row.id,
		name: row.name,
		passwordHash: row.password_hash,
		disabled: num(row.disabled) !== 0,
		quotaBytes: numOrNull(row.quota_bytes),
		quotaShares: numOrNull(row.quota_shares),
		maxExpiry: numOrNull(row.max_expiry),
		createdAt: num(row.created_at)
	};
}

/** The AccountStore over the same Kysely connection as the other meta stores (portable SQL only). */
export class KyselyAccountStore implements AccountStore {
	constructor(private readonly db: Kysely<Database>) {}

	async addUser(user: NewUser): Promise<boolean> {
		const rows = await this.db
			.insertInto('users')
			.values({
				id: user.id,
				name: user.name,
				password_hash: user.passwordHash,
				disabled: 0,
				quota_bytes: user.quotaBytes,
				quota_shares: user.quotaShares,
				max_expiry: user.maxExpiry,
				created_at: user.createdAt,
				updated_at: user.createdAt
			})
			.onConflict((oc) => oc.column('name').doNothing())
			.returning('id')
			.execute();
		return rows.length === 1;
	}

	async findUserByName(name: string): Promise<UserRecord | undefined> {
		const row = await this.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
		return row && toUser(row);
	}

	async listUsers(): Promise<(UserRecord & { usage: Usage })[]> {
		const rows = await this.db.selectFrom('users').selectAll().orderBy('name').execute();
		return Promise.all(rows.map(async (row) => ({ ...toUser(row), usage: await this.usage(row.id) })));
	}

	async setDisabled(name: string, disabled: boolean, now: number): Promise<boolean> {
		return this.db.transaction().execute(async (trx) => {
			const row = await trx
				.updateTable('users')
				.set({ disabled: disabled ? 1 : 0, updated_at: now })
				.where('name', '=', name)
				.returning('id')
				.executeTakeFirst();
			if (!row) return false;
			if (disabled) await trx.deleteFrom('sessions').where('user_id', '=', row.id).execute();
			return true;
		});
	}

	async setPassword(name: string, passwordHash: string, now: number): Promise<boolean> {
		return this.db.transaction().execute(async (trx) => {
			const row = await trx
				.updateTable('users')
				.set({ password_hash: passwordHash, updated_at: now })
				.where('name', '=', name)
				.returning('id')
				.executeTakeFirst();
			if (!row) return false;
			// A reset is what an admin does when a password may be known to someone else.
			await trx.deleteFrom('sessions').where('user_id', '=', row.id).execute();
			await trx.deleteFrom('api_tokens').where('user_id', '=', row.id).execute();
			return true;
		});
	}

	async setLimits(name: string, limits: Partial<UserLimits>, now: number): Promise<boolean> {
		const result = await this.db
			.updateTable('users')
			.set({
				updated_at: now,
				...(limits.quotaBytes === undefined ? {} : { quota_bytes: limits.quotaBytes }),
				...(limits.quotaShares === undefined ? {} : { quota_shares: limits.quotaShares }),
				...(limits.maxExpiry === undefined ? {} : { max_expiry: limits.maxExpiry })
			})
			.where('name', '=', name)
			.executeTakeFirst();
		return result.numUpdatedRows > 0n;
	}

	async createSession(session: { hash: Uint8Array; userId: string; createdAt: number; expiresAt: number }): Promise<void> {
		await this.db
			.insertInto('sessions')
			.values({ hash: session.hash, user_id: session.userId, created_at: session.createdAt, expires_at: session.expiresAt })
			.execute();
	}

	async findSession(hash: Uint8Array, now: number): Promise<UserRecord | undefined> {
		const row = await this.db
			.selectFrom('sessions')
			.innerJoin('users', 'users.id', 'sessions.user_id')
			.selectAll('users')
			.where('sessions.hash', '=', hash)
			.where('sessions.expires_at', '>', now)
			.where('users.disabled', '=', 0)
			.executeTakeFirst();
		return row && toUser(row);
	}

	async deleteSession(hash: Uint8Array): Promise<void> {
		await this.db.deleteFrom('sessions').where('hash', '=', hash).execute();
	}

	async deleteExpiredSessions(now: number): Promise<number> {
		const result = await this.db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
		return Number(result.numDeletedRows);
	}

	async createApiToken(token: { id: string; userId: string; name: string; hash: Uint8Array; createdAt: number }): Promise<void> {
		await this.db
			.insertInto('api_tokens')
			.values({ id: token.id, user_id: token.userId, name: token.name, hash: token.hash, created_at: token.createdAt, last_used_at: null })
			.execute();
	}

	async findApiToken(hash: Uint8Array, now: number): Promise<UserRecord | undefined> {
		const row = await this.db
			.selectFrom('api_tokens')
			.innerJoin('users', 'users.id', 'api_tokens.user_id')
			.selectAll('users')
			.select(['api_tokens.id as token_id', 'api_tokens.last_used_at as token_last_used_at'])
			.where('api_tokens.hash', '=', hash)
			.where('users.disabled', '=', 0)
			.executeTakeFirst();
		if (!row) return undefined;
		const lastUsed = numOrNull(row.token_last_used_at);
		if (lastUsed === null || now - lastUsed >= TOUCH_EVERY_MS) {
			await this.db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.token_id).execute();
		}
		return toUser(row);
	}

	async listApiTokens(userId: string): Promise<ApiTokenRecord[]> {
		const rows = await this.db
			.selectFrom('api_tokens')
			.select(['id', 'name', 'created_at', 'last_used_at'])
			.where('user_id', '=', userId)
			.orderBy('created_at')
			.orderBy('id')
			.execute();
		return rows.map((row) => ({ id: row.id, name: row.name, createdAt: num(row.created_at), lastUsedAt: numOrNull(row.last_used_at) }));
	}

	async deleteApiToken(userId: string, id: string): Promise<boolean> {
		const result = await this.db.deleteFrom('api_tokens').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
		return result.numDeletedRows > 0n;
	}

	usage(userId: string): Promise<Usage> {
		return usageOf(this.db, userId);
	}

	async insertOwnedShare(userId: string, share: NewShare, now: number): Promise<QuotaRefusal | undefined> {
		return this.db.transaction().execute(async (trx) => {
			const refused = await quotaRefusal(trx, userId, share.size, now);
			if (refused) return refused;
			await trx
				.insertInto('shares')
				.values({ ...newShareRow(share), owner_user_id: userId })
				.execute();
			return undefined;
		});
	}

	async ownerLimits(shareId: string): Promise<UserLimits | undefined> {
		const row = await this.db
			.selectFrom('shares')
			.innerJoin('users', 'users.id', 'shares.owner_user_id')
			.select(['users.quota_bytes', 'users.quota_shares', 'users.max_expiry'])
			.where('shares.id', '=', shareId)
			.executeTakeFirst();
		return (
			row && { quotaBytes: numOrNull(row.quota_bytes), quotaShares: numOrNull(row.quota_shares), maxExpiry: numOrNull(row.max_expiry) }
		);
	}
}

/**
 * Whether one more share of `size` bytes would pass the account's quota (or the account is
 * disabled). Writing the user's row first locks it (PostgreSQL: row lock; SQLite: the write lock),
 * so a concurrent upload by the same user waits here and then sees this one. Also used for file
 * request submissions, which are stored as the requester's shares.
 */
export async function quotaRefusal(
	trx: Transaction<Database>,
	userId: string,
	size: number,
	now: number
): Promise<QuotaRefusal | undefined> {
	const user = await trx
		.updateTable('users')
		.set({ updated_at: now })
		.where('id', '=', userId)
		.where('disabled', '=', 0)
		.returning(['quota_bytes', 'quota_shares'])
		.executeTakeFirst();
	if (!user) return { reason: 'disabled' };
	const used = await usageOf(trx, userId);
	const bytesLimit = numOrNull(user.quota_bytes);
	if (bytesLimit !== null && used.bytes + size > bytesLimit) return { reason: 'bytes', used: used.bytes, limit: bytesLimit };
	const sharesLimit = numOrNull(user.quota_shares);
	if (sharesLimit !== null && used.shares + 1 > sharesLimit) return { reason: 'shares', used: used.shares, limit: sharesLimit };
	return undefined;
}

/** An account's live shares and their bytes. */
export async function usageOf(db: Kysely<Database> | Transaction<Database>, userId: string): Promise<Usage> {
	const row = await db
		.selectFrom('shares')
		.select((eb) => [eb.fn.coalesce(eb.fn.sum<number>('size'), eb.lit(0)).as('bytes'), eb.fn.countAll<number>().as('shares')])
		.where('owner_user_id', '=', userId)
		.where('state', 'in', LIVE_STATES)
		.executeTakeFirstOrThrow();
	return { bytes: num(row.bytes), shares: num(row.shares) };
}
