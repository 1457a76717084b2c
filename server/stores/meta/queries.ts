import { sql, type Expression, type ExpressionBuilder, type Kysely, type Selectable, type SqlBool } from 'kysely';
import type { AccountStore } from './account-types';
import { KyselyAccountStore } from './accounts';
import type { Database, SharesTable } from './schema';
import { newShareRow } from './share-row';
import {
	TOMBSTONE_STATES,
	type AttemptCounter,
	type BlobToDelete,
	type MetaStore,
	type NewShare,
	type PartRecord,
	type ShareChanges,
	type ShareRecord,
	type StateUsage,
	type TicketRecord,
	type TombstoneState
} from './types';

/** What a share keeps once it is a tombstone: no client bytes, no token hashes. */
const WIPED = { header: null, metadata: null, read_token_hash: null, owner_token_hash: null } as const;

type SharesCondition = (eb: ExpressionBuilder<Database, 'shares'>) => Expression<SqlBool>;

// PostgreSQL drivers return BIGINT as strings: convert here, once, for every dialect.
const num = (value: number | string | bigint): number => Number(value);
const numOrNull = (value: number | string | bigint | null): number | null => (value === null ? null : Number(value));

function toShare(row: Selectable<SharesTable>): ShareRecord {
	return {
		id: row.id,
		state: row.state,
		size: num(row.size),
		partSize: num(row.part_size),
		parts: num(row.parts),
		header: row.header,
		metadata: row.metadata,
		readTokenHash: row.read_token_hash,
		ownerTokenHash: row.owner_token_hash,
		expiresIn: num(row.expires_in),
		expiresAt: numOrNull(row.expires_at),
		maxDownloads: num(row.max_downloads),
		downloads: num(row.downloads),
		createdAt: num(row.created_at),
		completedAt: numOrNull(row.completed_at),
		lastPartAt: num(row.last_part_at),
		lastClaimAt: numOrNull(row.last_claim_at),
		endedAt: numOrNull(row.ended_at),
		blobUpload: row.blob_upload,
		blobGone: num(row.blob_gone) !== 0,
		completingSince: numOrNull(row.completing_since)
	};
}

/**
 * The MetaStore over any Kysely dialect. Only portable SQL here (no dialect-specific functions,
 * upserts via ON CONFLICT, RETURNING for conditional updates): the SQLite and the PostgreSQL
 * stores differ only in how they open the connection.
 */
export class KyselyMetaStore implements MetaStore {
	readonly accounts: AccountStore;

	constructor(private readonly db: Kysely<Database>) {
		this.accounts = new KyselyAccountStore(db);
	}

	async insertShare(share: NewShare): Promise<void> {
		await this.db.insertInto('shares').values(newShareRow(share)).execute();
	}

	async getShare(id: string): Promise<ShareRecord | undefined> {
		const row = await this.db.selectFrom('shares').selectAll().where('id', '=', id).executeTakeFirst();
		return row && toShare(row);
	}

	async recordPart(id: string, part: PartRecord, now: number, on?: { blobUpload: string | null }): Promise<boolean> {
		return this.db.transaction().execute(async (trx) => {
			// The row lock this takes orders us against beginCompleting: a part is either recorded
			// before the parts are listed for sealing, or refused.
			const touched = await trx
				.updateTable('shares')
				.set({ last_part_at: now })
				.where('id', '=', id)
				.where('state', '=', 'uploading')
				.where('completing_since', 'is', null)
				.$if(on !== undefined, (qb) =>
					on?.blobUpload == null ? qb.where('blob_upload', 'is', null) : qb.where('blob_upload', '=', on.blobUpload)
				)
				.executeTakeFirst();
			if (touched.numUpdatedRows === 0n) return false;
			await trx
				.insertInto('parts')
				.values({ share_id: id, n: part.n, size: part.size, etag: part.etag })
				.onConflict((oc) => oc.columns(['share_id', 'n']).doUpdateSet({ size: part.size, etag: part.etag }))
				.execute();
			return true;
		});
	}

	async listParts(id: string): Promise<PartRecord[]> {
		const rows = await this.db
			.selectFrom('parts')
			.select(['n', 'size', 'etag'])
			.where('share_id', '=', id)
			.orderBy('n')
			.execute();
		return rows.map((row) => ({ n: num(row.n), size: num(row.size), etag: row.etag }));
	}

	async beginCompleting(id: string, now: number, staleBefore: number): Promise<boolean> {
		const result = await this.db
			.updateTable('shares')
			.set({ completing_since: now, last_part_at: now })
			.where('id', '=', id)
			.where('state', '=', 'uploading')
			.where((eb) => eb.or([eb('completing_since', 'is', null), eb('completing_since', '<=', staleBefore)]))
			.executeTakeFirst();
		return result.numUpdatedRows > 0n;
	}

	async reopenUpload(
		id: string,
		completingSince: number,
		now: number,
		change: { dropParts: number[] | 'all'; blobUpload?: string | null }
	): Promise<boolean> {
		return this.db.transaction().execute(async (trx) => {
			const result = await trx
				.updateTable('shares')
				.set({
					completing_since: null,
					last_part_at: now,
					...(change.blobUpload === undefined ? {} : { blob_upload: change.blobUpload })
				})
				.where('id', '=', id)
				.where('state', '=', 'uploading')
				.where('completing_since', '=', completingSince)
				.executeTakeFirst();
			if (result.numUpdatedRows === 0n) return false;
			const { dropParts } = change;
			if (dropParts === 'all') await trx.deleteFrom('parts').where('share_id', '=', id).execute();
			else if (dropParts.length > 0) await trx.deleteFrom('parts').where('share_id', '=', id).where('n', 'in', dropParts).execute();
			return true;
		});
	}

	async setBlobUpload(id: string, blobUpload: string): Promise<boolean> {
		const result = await this.db
			.updateTable('shares')
			.set({ blob_upload: blobUpload })
			.where('id', '=', id)
			.where('state', '=', 'uploading')
			.where('blob_upload', 'is', null)
			.executeTakeFirst();
		return result.numUpdatedRows > 0n;
	}

	async markReady(id: string, now: number, expiresAt: number, completingSince?: number): Promise<boolean> {
		const result = await this.db
			.updateTable('shares')
			.set({ state: 'ready', completed_at: now, expires_at: expiresAt, completing_since: null })
			.where('id', '=', id)
			.where('state', '=', 'uploading')
			.$if(completingSince !== undefined, (qb) => qb.where('completing_since', '=', completingSince!))
			.executeTakeFirst();
		return result.numUpdatedRows > 0n;
	}

	async claim(
		id: string,
		now: number,
		ticket: { hash: Uint8Array; expiresAt: number }
	): Promise<{ downloads: number; maxDownloads: number } | undefined> {
		return this.db.transaction().execute(async (trx) => {
			// The whole limit check is this one statement: exact under any concurrency, because
			// the database re-checks the WHERE clause on the row it locks.
			const counted = await trx
				.updateTable('shares')
				.set((eb) => ({ downloads: eb('downloads', '+', 1), last_claim_at: now }))
				.where('id', '=', id)
				.where('state', '=', 'ready')
				.whereRef('downloads', '<', 'max_downloads')
				.where('expires_at', '>', now)
				.returning(['downloads', 'max_downloads'])
				.executeTakeFirst();
			if (!counted) return undefined;
			await trx.insertInto('tickets').values({ hash: ticket.hash, share_id: id, expires_at: ticket.expiresAt }).execute();
			return { downloads: num(counted.downloads), maxDownloads: num(counted.max_downloads) };
		});
	}

	async findTicket(hash: Uint8Array): Promise<TicketRecord | undefined> {
		const row = await this.db
			.selectFrom('tickets')
			.select(['share_id', 'expires_at'])
			.where('hash', '=', hash)
			.executeTakeFirst();
		return row && { shareId: row.share_id, expiresAt: num(row.expires_at) };
	}

	async markDeleted(id: string, now: number): Promise<boolean> {
		return this.db.transaction().execute(async (trx) => {
			const result = await trx
				.updateTable('shares')
				.set({ state: 'deleted', ended_at: now, ...WIPED })
				.where('id', '=', id)
				.where('state', 'in', ['uploading', 'ready'])
				.executeTakeFirst();
			if (result.numUpdatedRows === 0n) return false;
			await trx.deleteFrom('tickets').where('share_id', '=', id).execute();
			return true;
		});
	}

	async updateShare(id: string, now: number, changes: ShareChanges): Promise<ShareRecord | undefined> {
		const { expiresAt, maxDownloads } = changes;
		const row = await this.db
			.updateTable('shares')
			.set({
				...(expiresAt === undefined ? {} : { expires_at: expiresAt }),
				...(maxDownloads === undefined ? {} : { max_downloads: maxDownloads })
			})
			.where('id', '=', id)
			.where('state', '=', 'ready')
			.where('expires_at', '>', now)
			// Re-checked on the locked row: a claim that lands first makes a too-low limit fail here.
			.$if(maxDownloads !== undefined, (qb) => qb.where('downloads', '<=', maxDownloads!))
			.returningAll()
			.executeTakeFirst();
		return row && toShare(row);
	}

	/**
	 * Moves up to `limit` shares matching `condition` to a tombstone state in one statement. The
	 * condition is repeated outside the batch subquery so a concurrent sweeper that changed a
	 * row first makes it fail here: each id is returned to exactly one caller.
	 */
	private async transition(to: TombstoneState, now: number, limit: number, condition: SharesCondition): Promise<string[]> {
		const rows = await this.db
			.updateTable('shares')
			.set({ state: to, ended_at: now, ...WIPED })
			.where(condition)
			.where('id', 'in', (eb) => eb.selectFrom('shares').select('id').where(condition).limit(limit))
			.returning('id')
			.execute();
		return rows.map((row) => row.id);
	}

	expireDue(now: number, limit: number): Promise<string[]> {
		return this.transition('expired', now, limit, (eb) =>
			eb.and([eb('state', '=', 'ready'), eb('expires_at', '<=', now)])
		);
	}

	exhaustDrained(now: number, limit: number): Promise<string[]> {
		return this.transition('exhausted', now, limit, (eb) =>
			eb.and([
				eb('state', '=', 'ready'),
				eb('downloads', '>=', eb.ref('max_downloads')),
				eb.not(
					eb.exists(
						eb
							.selectFrom('tickets')
							.select('tickets.hash')
							.whereRef('tickets.share_id', '=', 'shares.id')
							.where('tickets.expires_at', '>', now)
					)
				)
			])
		);
	}

	abandonIdle(idleSince: number, now: number, limit: number): Promise<string[]> {
		return this.transition('abandoned', now, limit, (eb) =>
			eb.and([eb('state', '=', 'uploading'), eb('last_part_at', '<=', idleSince)])
		);
	}

	async listBlobsToDelete(limit: number): Promise<BlobToDelete[]> {
		const rows = await this.db
			.selectFrom('shares')
			.select(['id', 'blob_upload'])
			.where('blob_gone', '=', 0)
			.where('state', 'in', TOMBSTONE_STATES)
			.limit(limit)
			.execute();
		return rows.map((row) => ({ id: row.id, blobUpload: row.blob_upload }));
	}

	async markBlobGone(id: string): Promise<void> {
		await this.db.transaction().execute(async (trx) => {
			await trx.updateTable('shares').set({ blob_gone: 1, blob_upload: null, ...WIPED }).where('id', '=', id).execute();
			await trx.deleteFrom('parts').where('share_id', '=', id).execute();
		});
	}

	async liveBlobs(ids: string[]): Promise<Map<string, string | null>> {
		if (ids.length === 0) return new Map();
		const rows = await this.db
			.selectFrom('shares')
			.select(['id', 'blob_upload'])
			.where('id', 'in', ids)
			.where('blob_gone', '=', 0)
			.execute();
		return new Map(rows.map((row) => [row.id, row.blob_upload]));
	}

	async deleteExpiredTickets(now: number): Promise<number> {
		const result = await this.db.deleteFrom('tickets').where('expires_at', '<=', now).executeTakeFirst();
		return Number(result.numDeletedRows);
	}

	async purgeTombstones(endedBefore: number): Promise<number> {
		const result = await this.db
			.deleteFrom('shares')
			.where('state', 'in', TOMBSTONE_STATES)
			.where('blob_gone', '=', 1)
			.where('ended_at', '<=', endedBefore)
			.executeTakeFirst();
		return Number(result.numDeletedRows);
	}

	async storageUsage(): Promise<{ uploading: StateUsage; ready: StateUsage }> {
		// Served by the (state, …) indexes: only live rows are read, never the tombstones.
		const byState = await this.db
			.selectFrom('shares')
			.select((eb) => ['state', eb.fn.countAll<number | string>().as('shares'), eb.fn.sum<number | string | null>('size').as('bytes')])
			.where('state', 'in', ['uploading', 'ready'])
			.groupBy('state')
			.execute();
		// An unfinished upload holds only the parts received so far, not its declared size.
		const received = await this.db
			.selectFrom('parts')
			.innerJoin('shares', 'shares.id', 'parts.share_id')
			.select((eb) => eb.fn.sum<number | string | null>('parts.size').as('bytes'))
			.where('shares.state', '=', 'uploading')
			.executeTakeFirst();
		const count = (state: string) => num(byState.find((row) => row.state === state)?.shares ?? 0);
		return {
			uploading: { shares: count('uploading'), bytes: num(received?.bytes ?? 0) },
			ready: { shares: count('ready'), bytes: num(byState.find((row) => row.state === 'ready')?.bytes ?? 0) }
		};
	}

	async attemptCounts(keys: string[], now: number): Promise<AttemptCounter[]> {
		if (keys.length === 0) return [];
		const rows = await this.db
			.selectFrom('attempts')
			.select(['key', 'count', 'reset_at'])
			.where('key', 'in', keys)
			.where('reset_at', '>', now)
			.execute();
		return rows.map((row) => ({ key: row.key, count: num(row.count), resetAt: num(row.reset_at) }));
	}

	async addAttempt(key: string, now: number, windowMs: number, sliding = false): Promise<void> {
		// One statement, so concurrent failures on any number of instances are all counted: the
		// database applies the update to the locked row, and an ended window starts afresh.
		const end = now + windowMs;
		await this.db
			.insertInto('attempts')
			.values({ key, count: 1, reset_at: end })
			.onConflict((oc) =>
				oc.column('key').doUpdateSet((eb) => {
					const ended = eb('attempts.reset_at', '<=', now);
					return {
						count: eb.case().when(ended).then(1).else(eb('attempts.count', '+', 1)).end(),
						// A sliding window only moves forward, whatever order instances write in.
						reset_at: sliding
							? eb.case().when(eb('attempts.reset_at', '>', end)).then(eb.ref('attempts.reset_at')).else(end).end()
							: eb.case().when(ended).then(end).else(eb.ref('attempts.reset_at')).end()
					};
				})
			)
			.execute();
	}

	async deleteEndedAttempts(now: number): Promise<number> {
		const result = await this.db.deleteFrom('attempts').where('reset_at', '<=', now).executeTakeFirst();
		return Number(result.numDeletedRows);
	}

	async ping(): Promise<void> {
		await sql`select 1`.execute(this.db);
	}

	async close(): Promise<void> {
		await this.db.destroy();
	}
}
