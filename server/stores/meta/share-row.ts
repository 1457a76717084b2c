import type { Insertable, Selectable } from 'kysely';
import type { SharesTable } from './schema';
import type { NewShare, ShareRecord } from './types';

/** What a share keeps once it is a tombstone: no client bytes, no token hashes. */
export const WIPED = {
	header: null,
	metadata: null,
	read_token_hash: null,
	owner_token_hash: null,
	key_share: null,
	key_commitment: null,
	unlock_token_hash: null,
	ephemeral_key: null
} as const;

// PostgreSQL drivers return BIGINT and SUM as strings: convert here, once, for every dialect.
export const num = (value: number | string | bigint): number => Number(value);
export const numOrNull = (value: number | string | bigint | null): number | null => (value === null ? null : Number(value));

/** The row of a share just created (also used by the accounts store, which adds its owner). */
export function newShareRow(share: NewShare): Insertable<SharesTable> {
	return {
		id: share.id,
		state: 'uploading',
		size: share.size,
		part_size: share.partSize,
		parts: share.parts,
		header: share.header,
		metadata: share.metadata,
		read_token_hash: share.readTokenHash,
		owner_token_hash: share.ownerTokenHash,
		key_share: share.password?.keyShare ?? null,
		key_commitment: share.password?.keyCommitment ?? null,
		unlock_token_hash: share.password?.unlockTokenHash ?? null,
		expires_in: share.expiresIn,
		expires_at: null,
		max_downloads: share.maxDownloads,
		downloads: 0,
		created_at: share.createdAt,
		completed_at: null,
		last_part_at: share.createdAt,
		last_claim_at: null,
		ended_at: null,
		blob_upload: share.blobUpload,
		blob_gone: 0,
		completing_since: null,
		request_id: share.submission?.requestId ?? null,
		ephemeral_key: share.submission?.ephemeralKey ?? null
	};
}

export function toShare(row: Selectable<SharesTable>): ShareRecord {
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
		password:
			row.key_share && row.key_commitment && row.unlock_token_hash
				? { keyShare: row.key_share, keyCommitment: row.key_commitment, unlockTokenHash: row.unlock_token_hash }
				: null,
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
		completingSince: numOrNull(row.completing_since),
		requestId: row.request_id ?? null,
		ephemeralKey: row.ephemeral_key ?? null
	};
}
