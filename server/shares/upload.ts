import type { CompleteResponse, PartResponse, PartsStatus } from '../../src/lib/api/types';
import { AppError } from '../errors';
import { audit } from '../logger';
import { PartLengthError, PartsMismatchError, UploadClosedError } from '../stores/blob/types';
import type { ShareRecord } from '../stores/meta/types';
import { guardSource, limitBytes, type ByteSource } from '../streams';
import { closedUploadError, loadOwnedShare } from './access';
import { directUpload } from './direct';
import type { ShareDeps } from './deps';
import { alreadyComplete, beingCompleted, missingParts, partBrokenOff, partOutOfRange, partTooLong, partTooShort } from './errors';
import { partLength } from './layout';

/**
 * How long a complete holds a share before another may take it over (one that crashed). Sealing
 * is a rename on a filesystem and one CompleteMultipartUpload on S3; a takeover of one still
 * running is safe, only wasted work (every step after it is conditional on the holder).
 */
export const COMPLETE_LEASE_MS = 60_000;

export interface PutPartInput {
	id: string;
	n: number;
	ownerToken: string;
	/** Opens the body; called only once the part is accepted, so a refusal reads nothing. */
	body: () => ByteSource;
	/** The request's Content-Length, if it sent one: checked before any byte is read. */
	declaredLength: number | undefined;
	/** Aborted when the client goes away. */
	signal?: AbortSignal;
}

export async function putPart(deps: ShareDeps, input: PutPartInput): Promise<PartResponse> {
	const { id, n } = input;
	const share = await loadOwnedShare(deps, id, input.ownerToken);
	if (share.state !== 'uploading') throw alreadyComplete();
	if (share.completingSince !== null) throw beingCompleted();
	if (n >= share.parts) throw partOutOfRange(share.parts);
	const expected = partLength(share.size, share.partSize, n);
	if (input.declaredLength !== undefined && input.declaredLength > expected) throw partTooLong(expected);
	if (input.declaredLength !== undefined && input.declaredLength < expected) throw partTooShort(expected);

	let stored: { size: number; etag?: string };
	try {
		// Counted here as well as in the store, so no BlobStore can take more than the part.
		const body = limitBytes(
			guardSource(input.body(), () => partBrokenOff(expected)),
			expected,
			() => partTooLong(expected)
		);
		stored = await deps.blobs.putPart({ id, upload: share.blobUpload }, n, body, expected, input.signal);
	} catch (error) {
		if (error instanceof PartLengthError) throw error.kind === 'long' ? partTooLong(expected) : partTooShort(expected);
		if (error instanceof UploadClosedError) throw await closedUploadError(deps, id);
		// A client that hangs up mid-part sent a short body; nothing was kept.
		if (input.signal?.aborted && !(error instanceof AppError)) throw partBrokenOff(expected);
		// The store failed because the upload was sealed, restarted or removed under us (some
		// stores answer that with a server error, not NoSuchUpload): say that instead.
		if (!(error instanceof AppError) && !(await stillOpen(deps, share))) throw await closedUploadError(deps, id);
		throw error;
	}
	// Recorded only if no complete has begun meanwhile and the upload is the one the part went to:
	// a part refused here is not in the blob (complete seals exactly the parts it listed).
	const part = { n, size: stored.size, etag: stored.etag ?? null };
	const recorded = await deps.meta.parts.record(id, part, deps.clock.now(), { blobUpload: share.blobUpload });
	if (!recorded) throw await closedUploadError(deps, id);
	deps.uploads?.notify(id);
	return { n, size: stored.size };
}

export async function listParts(deps: ShareDeps, id: string, ownerToken: string): Promise<PartsStatus> {
	const share = await loadOwnedShare(deps, id, ownerToken);
	if (share.state === 'ready') {
		return { parts: share.parts, received: Array.from({ length: share.parts }, (_, n) => n), complete: true };
	}
	const received = (await recordedParts(deps, share))
		.filter((part) => part.size === partLength(share.size, share.partSize, part.n))
		.map((part) => part.n);
	return {
		parts: share.parts,
		received,
		complete: false,
		uploadExpiresAt: share.lastPartAt + deps.config.abandonAfter * 1000
	};
}

/**
 * Seals the parts into the blob and makes the share ready. Safe against part uploads racing it
 * and against other completes, on any number of instances: it first takes the share
 * (beginCompleting), after which no part is recorded; it seals exactly the parts it then lists;
 * and it makes the share ready only once the sealed blob has the share's size. A complete that
 * finds the stored parts are not the recorded ones gives the upload back (MISSING_PARTS) instead.
 */
export async function completeShare(deps: ShareDeps, id: string, ownerToken: string): Promise<CompleteResponse> {
	const { meta, clock } = deps;
	const before = await loadOwnedShare(deps, id, ownerToken);
	if (before.state !== 'uploading') throw alreadyComplete();
	const since = clock.now();
	if (!(await meta.parts.beginCompleting(id, since, since - COMPLETE_LEASE_MS))) throw await closedUploadError(deps, id);
	// Read again now that it is ours: the upload handle and the parts can no longer change.
	const share = await meta.shares.get(id);
	if (share?.state !== 'uploading' || share.completingSince !== since) throw await closedUploadError(deps, id);
	const reopen = (dropParts: number[] | 'all', blobUpload?: string | null) =>
		meta.parts.reopenUpload(id, since, clock.now(), { dropParts, blobUpload });

	let parts: { n: number; size: number; etag?: string | null }[];
	let sealedAlready = false;
	try {
		parts = (await recordedParts(deps, share)).filter((part) => part.n < share.parts);
	} catch (error) {
		// Direct mode, and the bucket has forgotten the upload: sealed already by a complete that
		// crashed before making the share ready (then the object is whole), or lost.
		if (!(error instanceof UploadClosedError)) throw error;
		if ((await deps.blobs.size(id)) === share.size) [parts, sealedAlready] = [[], true];
		else return await restartUpload(deps, share, since, 'were lost by the store');
	}
	const sizes = new Map(parts.map((part) => [part.n, part.size]));
	const missing: number[] = [];
	for (let n = 0; n < share.parts; n++) {
		if (sizes.get(n) !== partLength(share.size, share.partSize, n)) missing.push(n);
	}
	if (missing.length > 0 && !sealedAlready) {
		if (!(await reopen([]))) throw await closedUploadError(deps, id);
		throw missingParts(missing, share.parts);
	}

	const blob = { id, upload: share.blobUpload };
	try {
		if (!sealedAlready) await deps.blobs.complete(blob, parts);
	} catch (error) {
		if (error instanceof PartsMismatchError) {
			deps.logger.warn(
				{ shareId: id, parts: error.parts, lost: error.lost },
				'stored parts differ from the recorded ones; upload reopened'
			);
			if (error.lost) return await restartUpload(deps, share, since, 'were not stored as sent');
			// A store that cannot tell which parts differ (S3) gets them all again.
			const drop = error.parts.length > 0 ? error.parts : allParts(share);
			if (!(await reopen(drop))) throw await closedUploadError(deps, id);
			throw missingParts(drop, share.parts, 'were not stored as sent; send them again');
		}
		// Deleted or swept meanwhile: say so rather than fail. Otherwise give the share back, so
		// that a retry can complete it (sealing is idempotent).
		if (!(await reopen([]))) throw await closedUploadError(deps, id);
		throw error;
	}
	// Never serve a short blob: the stored object must have the share's exact size.
	const stored = await deps.blobs.size(id);
	if (stored !== share.size) {
		deps.logger.error({ shareId: id, stored, size: share.size }, 'sealed blob has the wrong size; upload restarted');
		return await restartUpload(deps, share, since, `were not all stored (${stored ?? 0} of ${share.size} bytes)`);
	}

	const completedAt = clock.now();
	const expiresAt = completedAt + share.expiresIn * 1000;
	if (!(await meta.parts.markReady(id, completedAt, expiresAt, since))) throw await closedUploadError(deps, id);
	deps.uploads?.notify(id);
	audit(deps.logger, 'share.complete', { shareId: id, expiresAt, maxDownloads: share.maxDownloads });
	return { id, expiresAt, maxDownloads: share.maxDownloads };
}

/**
 * The parts of an upload: as recorded when they came through this server, or, in direct mode
 * (clients PUT them to the bucket), as the bucket lists them, with its sizes and ETags.
 */
async function recordedParts(deps: ShareDeps, share: ShareRecord): Promise<{ n: number; size: number; etag?: string | null }[]> {
	const direct = directUpload(deps, share);
	if (!direct) return deps.meta.parts.list(share.id);
	try {
		return await direct.listParts({ id: share.id, upload: share.blobUpload });
	} catch (error) {
		if (error instanceof UploadClosedError && share.completingSince === null) throw await closedUploadError(deps, share.id);
		throw error;
	}
}

const allParts = (share: ShareRecord): number[] => Array.from({ length: share.parts }, (_, n) => n);

/**
 * The sealed blob cannot be trusted and the store's upload is used up: throw both away, begin a
 * new upload and give the share back with no part, so the client sends every part again.
 */
async function restartUpload(deps: ShareDeps, share: ShareRecord, since: number, why: string): Promise<never> {
	const { id } = share;
	await deps.blobs.delete({ id, upload: share.blobUpload });
	const upload = await deps.blobs.begin(id);
	if (!(await deps.meta.parts.reopenUpload(id, since, deps.clock.now(), { dropParts: 'all', blobUpload: upload }))) {
		await deps.blobs.delete({ id, upload }).catch(() => {});
		throw await closedUploadError(deps, id);
	}
	throw missingParts(allParts(share), share.parts, `${why}; send them all again`);
}

/** Whether the share still takes parts on the upload `share` had. */
async function stillOpen(deps: ShareDeps, share: ShareRecord): Promise<boolean> {
	const now = await deps.meta.shares.get(share.id);
	return now?.state === 'uploading' && now.completingSince === null && now.blobUpload === share.blobUpload;
}
