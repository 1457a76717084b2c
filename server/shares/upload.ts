import type { CompleteResponse, PartResponse, PartsStatus } from '../../src/lib/api/types';
import { AppError } from '../errors';
import { audit } from '../logger';
import { PartLengthError, UploadClosedError } from '../stores/blob/types';
import { guardSource, limitBytes, type ByteSource } from '../streams';
import { closedUploadError, loadOwnedShare } from './access';
import type { ShareDeps } from './deps';
import { partLength } from './layout';

const alreadyComplete = (): AppError => new AppError('ALREADY_COMPLETE', 'This share is already complete.');
const tooLarge = (expected: number): AppError =>
	new AppError('TOO_LARGE', `The part is longer than its ${expected} bytes.`, { expected });
const tooShort = (expected: number): AppError =>
	new AppError('PART_SIZE_MISMATCH', `The part must be exactly ${expected} bytes.`, { expected });

const brokenOff = (expected: number): AppError =>
	new AppError('PART_SIZE_MISMATCH', `The part body broke off before its ${expected} bytes.`, { expected });

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
	if (n >= share.parts) {
		throw new AppError('INVALID_PART', `The part number must be 0 … ${share.parts - 1}.`, { parts: share.parts });
	}
	const expected = partLength(share.size, share.partSize, n);
	if (input.declaredLength !== undefined && input.declaredLength > expected) throw tooLarge(expected);
	if (input.declaredLength !== undefined && input.declaredLength < expected) throw tooShort(expected);

	let stored: { size: number; etag?: string };
	try {
		// Counted here as well as in the store, so no BlobStore can take more than the part.
		const body = limitBytes(guardSource(input.body(), () => brokenOff(expected)), expected, () => tooLarge(expected));
		stored = await deps.blobs.putPart({ id, upload: share.blobUpload }, n, body, expected, input.signal);
	} catch (error) {
		if (error instanceof PartLengthError) throw error.kind === 'long' ? tooLarge(expected) : tooShort(expected);
		if (error instanceof UploadClosedError) throw await closedUploadError(deps, id);
		// A client that hangs up mid-part sent a short body; nothing was kept.
		if (input.signal?.aborted && !(error instanceof AppError)) throw brokenOff(expected);
		throw error;
	}
	const recorded = await deps.meta.recordPart(id, { n, size: stored.size, etag: stored.etag ?? null }, deps.clock.now());
	if (!recorded) throw await closedUploadError(deps, id);
	return { n, size: stored.size };
}

export async function listParts(deps: ShareDeps, id: string, ownerToken: string): Promise<PartsStatus> {
	const share = await loadOwnedShare(deps, id, ownerToken);
	if (share.state === 'ready') {
		return { parts: share.parts, received: Array.from({ length: share.parts }, (_, n) => n), complete: true };
	}
	const received = (await deps.meta.listParts(id))
		.filter((part) => part.size === partLength(share.size, share.partSize, part.n))
		.map((part) => part.n);
	return {
		parts: share.parts,
		received,
		complete: false,
		uploadExpiresAt: share.lastPartAt + deps.config.abandonAfter * 1000
	};
}

export async function completeShare(deps: ShareDeps, id: string, ownerToken: string): Promise<CompleteResponse> {
	const share = await loadOwnedShare(deps, id, ownerToken);
	if (share.state !== 'uploading') throw alreadyComplete();
	const parts = await deps.meta.listParts(id);
	const sizes = new Map(parts.map((part) => [part.n, part.size]));
	const missing: number[] = [];
	for (let n = 0; n < share.parts; n++) {
		if (sizes.get(n) !== partLength(share.size, share.partSize, n)) missing.push(n);
	}
	if (missing.length > 0) {
		throw new AppError('MISSING_PARTS', `${missing.length} of ${share.parts} parts have not arrived.`, { missing });
	}

	try {
		await deps.blobs.complete({ id, upload: share.blobUpload }, parts);
	} catch (error) {
		// Deleted or swept while we were completing: say so rather than fail.
		const now = await deps.meta.getShare(id);
		if (now?.state !== 'uploading') throw await closedUploadError(deps, id);
		throw error;
	}
	const completedAt = deps.clock.now();
	const expiresAt = completedAt + share.expiresIn * 1000;
	if (!(await deps.meta.markReady(id, completedAt, expiresAt))) throw await closedUploadError(deps, id);
	audit(deps.logger, 'share.complete', { shareId: id, expiresAt, maxDownloads: share.maxDownloads });
	return { id, expiresAt, maxDownloads: share.maxDownloads };
}
