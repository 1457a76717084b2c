import type { Kysely } from 'kysely';
import type { Database } from './schema';
import { num } from './share-row';
import type { TicketRecord, TicketStore } from './types';

/** The TicketStore over any Kysely dialect (portable SQL only). */
export class KyselyTicketStore implements TicketStore {
	constructor(private readonly db: Kysely<Database>) {}

	async claim(
		id: string,
		now: number,
		ticket: { hash: Uint8Array; expiresAt: number },
		options: { uploading?: boolean } = {}
	): Promise<{ downloads: number; maxDownloads: number } | undefined> {
		return this.db.transaction().execute(async (trx) => {
			// The whole limit check is this one statement: exact under any concurrency, because
			// the database re-checks the WHERE clause on the row it locks.
			const counted = await trx
				.updateTable('shares')
				.set((eb) => ({ downloads: eb('downloads', '+', 1), last_claim_at: now }))
				.where('id', '=', id)
				.whereRef('downloads', '<', 'max_downloads')
				.where((eb) => {
					const ready = eb.and([eb('state', '=', 'ready'), eb('expires_at', '>', now)]);
					// A complete may land between the caller's read and this statement: either state counts.
					return options.uploading ? eb.or([ready, eb('state', '=', 'uploading')]) : ready;
				})
				.returning(['downloads', 'max_downloads'])
				.executeTakeFirst();
			if (!counted) return undefined;
			await trx.insertInto('tickets').values({ hash: ticket.hash, share_id: id, expires_at: ticket.expiresAt }).execute();
			return { downloads: num(counted.downloads), maxDownloads: num(counted.max_downloads) };
		});
	}

	async find(hash: Uint8Array): Promise<TicketRecord | undefined> {
		const row = await this.db.selectFrom('tickets').select(['share_id', 'expires_at']).where('hash', '=', hash).executeTakeFirst();
		return row && { shareId: row.share_id, expiresAt: num(row.expires_at) };
	}
}
