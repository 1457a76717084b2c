import type { Kysely } from 'kysely';
import type { Database } from './schema';
import { newShareRow, num, toShare, WIPED } from './share-row';
import type { NewShare, ShareChanges, ShareRecord, ShareStore, StateUsage } from './types';

/** The ShareStore over any Kysely dialect (portable SQL only). */
export class KyselyShareStore implements ShareStore {
	constructor(private readonly db: Kysely<Database>) {}

	async insert(share: NewShare): Promise<void> {
		await this.db.insertInto('shares').values(newShareRow(share)).execute();
	}

	async get(id: string): Promise<ShareRecord | undefined> {
		const row = await this.db.selectFrom('shares').selectAll().where('id', '=', id).executeTakeFirst();
		return row && toShare(row);
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

	async update(id: string, now: number, changes: ShareChanges): Promise<ShareRecord | undefined> {
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

	async usage(): Promise<{ uploading: StateUsage; ready: StateUsage }> {
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
}
