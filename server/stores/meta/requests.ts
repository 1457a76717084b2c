import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, RequestsTable } from './schema';
import { newShareRow, num, numOrNull, toShare, WIPED } from './share-row';
import { quotaRefusal } from './accounts';
import type { NewRequest, NewShare, RequestRecord, RequestStore, SubmissionRecord, SubmissionRefusal } from './types';

/** Thrown inside a transaction to roll it back with the reason it was refused. */
class Refused extends Error {
	constructor(readonly refusal: SubmissionRefusal) {
		super(refusal.reason);
	}
}

/** What an expired request keeps: its counts and times, no client bytes, no token hash. */
const REQUEST_WIPED = { owner_token_hash: null, public_key: null, key_tag: null, sealed_info: null } as const;

function toRequest(row: Selectable<RequestsTable>): RequestRecord {
	return {
		id: row.id,
		state: row.state,
		ownerTokenHash: row.owner_token_hash,
		publicKey: row.public_key,
		keyTag: row.key_tag,
		sealedInfo: row.sealed_info,
		expiresAt: num(row.expires_at),
		maxSubmissions: num(row.max_submissions),
		maxSubmissionBytes: num(row.max_submission_bytes),
		submissions: num(row.submissions),
		createdAt: num(row.created_at),
		endedAt: numOrNull(row.ended_at),
		ownerUserId: row.owner_user_id
	};
}

/** The RequestStore over any Kysely dialect (portable SQL only). */
export class KyselyRequestStore implements RequestStore {
	constructor(private readonly db: Kysely<Database>) {}

	async insert(request: NewRequest): Promise<void> {
		await this.db
			.insertInto('requests')
			.values({
				id: request.id,
				state: 'open',
				owner_token_hash: request.ownerTokenHash,
				public_key: request.publicKey,
				key_tag: request.keyTag,
				sealed_info: request.sealedInfo,
				expires_at: request.expiresAt,
				max_submissions: request.maxSubmissions,
				max_submission_bytes: request.maxSubmissionBytes,
				submissions: 0,
				created_at: request.createdAt,
				ended_at: null,
				owner_user_id: request.ownerUserId
			})
			.execute();
	}

	async get(id: string): Promise<RequestRecord | undefined> {
		const row = await this.db.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirst();
		return row && toRequest(row);
	}

	async insertSubmission(
		share: NewShare & { submission: { requestId: string; ephemeralKey: Uint8Array } },
		now: number
	): Promise<SubmissionRefusal | undefined> {
		try {
			await this.db.transaction().execute(async (trx) => {
				// The whole limit check is this one statement: the database re-checks the WHERE clause
				// on the row it locks, so the last slot has exactly one winner across instances.
				const counted = await trx
					.updateTable('requests')
					.set((eb) => ({ submissions: eb('submissions', '+', 1) }))
					.where('id', '=', share.submission.requestId)
					.where('state', '=', 'open')
					.where('expires_at', '>', now)
					.whereRef('submissions', '<', 'max_submissions')
					.where('max_submission_bytes', '>=', share.size)
					.returning('owner_user_id')
					.executeTakeFirst();
				if (!counted) throw new Refused({ reason: 'request' });
				const owner = counted.owner_user_id;
				if (owner !== null) await checkQuota(trx, owner, share.size, now);
				await trx
					.insertInto('shares')
					.values({ ...newShareRow(share), owner_user_id: owner })
					.execute();
			});
			return undefined;
		} catch (error) {
			if (error instanceof Refused) return error.refusal;
			throw error;
		}
	}

	async listSubmissions(requestId: string): Promise<SubmissionRecord[]> {
		const rows = await this.db
			.selectFrom('shares')
			.selectAll()
			.where('request_id', '=', requestId)
			.where('state', 'in', ['uploading', 'ready'])
			.orderBy('created_at')
			.orderBy('id')
			.execute();
		return rows.map((row) => {
			const share = toShare(row);
			return {
				id: share.id,
				state: share.state,
				size: share.size,
				parts: share.parts,
				header: share.header,
				ephemeralKey: share.ephemeralKey,
				createdAt: share.createdAt,
				completedAt: share.completedAt,
				expiresAt: share.expiresAt,
				downloads: share.downloads,
				maxDownloads: share.maxDownloads
			};
		});
	}

	async close(id: string, now: number): Promise<boolean> {
		const result = await this.db
			.updateTable('requests')
			.set({ state: 'closed', ended_at: now })
			.where('id', '=', id)
			.where('state', '=', 'open')
			.executeTakeFirst();
		return result.numUpdatedRows > 0n;
	}

	async expireDue(now: number, limit: number): Promise<string[]> {
		// The condition is repeated outside the batch subquery: a concurrent sweeper that changed a row first makes it fail here.
		const rows = await this.db
			.updateTable('requests')
			.set({ state: 'expired', ended_at: now, ...REQUEST_WIPED })
			.where('state', 'in', ['open', 'closed'])
			.where('expires_at', '<=', now)
			.where('id', 'in', (eb) =>
				eb.selectFrom('requests').select('id').where('state', 'in', ['open', 'closed']).where('expires_at', '<=', now).limit(limit)
			)
			.returning('id')
			.execute();
		return rows.map((row) => row.id);
	}

	async expireSubmissions(now: number, limit: number): Promise<string[]> {
		const rows = await this.db
			.updateTable('shares')
			.set({ state: 'expired', ended_at: now, ...WIPED })
			.where('state', 'in', ['uploading', 'ready'])
			.where('request_id', 'in', (eb) => eb.selectFrom('requests').select('id').where('state', '=', 'expired'))
			.where('id', 'in', (eb) =>
				eb
					.selectFrom('shares as s')
					.select('s.id')
					.where('s.state', 'in', ['uploading', 'ready'])
					.where('s.request_id', 'in', (inner) => inner.selectFrom('requests').select('id').where('state', '=', 'expired'))
					.limit(limit)
			)
			.returning('id')
			.execute();
		return rows.map((row) => row.id);
	}

	async purgeExpired(endedBefore: number): Promise<number> {
		const result = await this.db
			.deleteFrom('requests')
			.where('state', '=', 'expired')
			.where('ended_at', '<=', endedBefore)
			.executeTakeFirst();
		return Number(result.numDeletedRows);
	}
}

/**
 * A submission to an account's request is stored as the account's: it must fit its quota. The
 * account's row is written first, which locks it, as insertOwnedShare does (accounts.ts).
 */
async function checkQuota(trx: Transaction<Database>, userId: string, size: number, now: number): Promise<void> {
	const refused = await quotaRefusal(trx, userId, size, now);
	if (refused) throw new Refused(refused);
}
