import type { DirectUrlResponse } from '../../src/lib/api/types';
import { NoDirectReadError, type DirectBlobStore } from '../stores/blob/types';
import type { ShareRecord } from '../stores/meta/types';
import { closedUploadError, loadOwnedShare } from './access';
import type { ShareDeps } from './deps';
import { loadTicketed } from './download';
import { alreadyComplete, beingCompleted, directTransfersOff, partOutOfRange, ticketInvalid } from './errors';
import { partLength } from './layout';

/** The blob store clients reach themselves, if SEALDROP_S3_DIRECT is on (config checked it is S3). */
export function directStore(deps: ShareDeps): DirectBlobStore | undefined {
	if (deps.config.s3Direct === undefined) return undefined;
	const blobs = deps.blobs as Partial<DirectBlobStore>;
	if (typeof blobs.presignPart !== 'function') throw new Error('SEALDROP_S3_DIRECT is on but the blob store cannot presign');
	return deps.blobs as DirectBlobStore;
}

/**
 * The direct store, if share's upload is one clients can PUT parts into: not one stored as part
 * objects (begun before direct mode was on), whose parts go through the server.
 */
export function directUpload(deps: ShareDeps, share: ShareRecord): DirectBlobStore | undefined {
	const store = directStore(deps);
	// On S3 the uploads readable unfinished are exactly those stored as part objects.
	return store && deps.blobs.readsUpload?.(share.blobUpload) !== true ? store : undefined;
}

/**
 * A URL to PUT part `n` straight into the bucket, for the owner of an uploading share. The part
 * is not recorded here: complete reads what the bucket holds. What is recorded is that the upload
 * is alive (a size-0 entry, which counts as not received), through the same conditional write a
 * proxied part uses: refused while a complete seals the share, and it keeps the abandon rule away.
 */
export async function partUploadUrl(deps: ShareDeps, id: string, n: number, ownerToken: string): Promise<DirectUrlResponse> {
	const store = directStore(deps);
	if (!store) throw directTransfersOff();
	const share = await loadOwnedShare(deps, id, ownerToken);
	if (share.state !== 'uploading') throw alreadyComplete();
	if (!directUpload(deps, share)) throw directTransfersOff();
	if (share.completingSince !== null) throw beingCompleted();
	if (n >= share.parts) throw partOutOfRange(share.parts);
	const size = partLength(share.size, share.partSize, n);
	const now = deps.clock.now();
	const alive = await deps.meta.parts.record(id, { n, size: 0, etag: null }, now, { blobUpload: share.blobUpload });
	if (!alive) throw await closedUploadError(deps, id);
	const ttl = deps.config.s3Direct!.ttl;
	const url = await store.presignPart({ id, upload: share.blobUpload }, n, size, ttl, now);
	return { url, expiresAt: now + ttl * 1000, size };
}

/**
 * A URL for ranged GETs of the blob, only for a valid ticket, and living no longer than the ticket
 * (nor the share): min(ticket expiry, share expiry, now + SEALDROP_S3_DIRECT_TTL), in whole
 * seconds rounded down. The download was counted when the ticket was claimed, as without direct mode.
 */
export async function blobUrl(deps: ShareDeps, id: string, ticket: string): Promise<DirectUrlResponse> {
	const store = directStore(deps);
	if (!store) throw directTransfersOff();
	const { share, ticketExpiresAt } = await loadTicketed(deps, id, ticket);
	const now = deps.clock.now();
	const until = Math.min(ticketExpiresAt, share.expiresAt ?? now, now + deps.config.s3Direct!.ttl * 1000);
	const expiresIn = Math.floor((until - now) / 1000);
	// Less than a second left: S3 cannot sign that, and the ticket is as good as expired.
	if (expiresIn < 1) throw ticketInvalid();
	let url: string;
	try {
		url = await store.presignRead(id, expiresIn, now);
	} catch (error) {
		// Stored as part objects (begun before direct mode was on): no URL names it, the client
		// reads it through GET /blob, as on a server without direct transfers.
		if (error instanceof NoDirectReadError) throw directTransfersOff();
		throw error;
	}
	return { url, expiresAt: now + expiresIn * 1000, size: share.size };
}
