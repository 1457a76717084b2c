import type { Insertable } from 'kysely';
import type { SharesTable } from './schema';
import type { NewShare } from './types';

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
		completing_since: null
	};
}
