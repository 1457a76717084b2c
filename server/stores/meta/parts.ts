import type { Kysely } from 'kysely';
import type { CacheTransaction } from './kysely';
import type { Database } from './schema';
import { num } from './share-row';
import type { PartRecord, PartStore } from './types';

/** The PartStore over any Kysely dialect (portable SQL only). */
export class KyselyPartStore implements PartStore {
	constructor(
		private readonly db: Kysely<Database>,
		private readonly cacheTransaction: CacheTransaction = (db, work) => db.transaction().execute(work)
	) {}

	async record(id: string, part: PartRecord, now: number, on?: { blobUpload: string | null }): Promise<boolean> {
		// Not flushed: a record lost in a power cut is a part complete finds missing, and
		// beginCompleting's flushed commit makes every earlier record durable with it (the log is
		// written in order). One flush of the database per part made uploads wait on the disk.
		return this.cacheTransaction(this.db, async (trx) => {
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

	async list(id: string): Promise<PartRecord[]> {
		const rows = await this.db.selectFrom('parts').select(['n', 'size', 'etag']).where('share_id', '=', id).orderBy('n').execute();
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
}
