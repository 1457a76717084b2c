import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import type { Database } from './schema';
import { WIPED } from './share-row';
import { TOMBSTONE_STATES, type BlobToDelete, type SweepStore, type TombstoneState } from './types';

type SharesCondition = (eb: ExpressionBuilder<Database, 'shares'>) => Expression<SqlBool>;

/** The SweepStore over any Kysely dialect (portable SQL only). */
export class KyselySweepStore implements SweepStore {
	constructor(private readonly db: Kysely<Database>) {}

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
		return this.transition('expired', now, limit, (eb) => eb.and([eb('state', '=', 'ready'), eb('expires_at', '<=', now)]));
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
		return this.transition('abandoned', now, limit, (eb) => eb.and([eb('state', '=', 'uploading'), eb('last_part_at', '<=', idleSince)]));
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
			await trx
				.updateTable('shares')
				.set({ blob_gone: 1, blob_upload: null, ...WIPED })
				.where('id', '=', id)
				.execute();
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
}
