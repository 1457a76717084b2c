import type { CreateShareResponse } from '../../src/lib/api/types';
import { isCryptoError } from '../../src/lib/crypto/errors';
import { decodeHeader } from '../../src/lib/crypto/header';
import { invalidField as invalid, type AppError } from '../errors';
import { audit } from '../logger';
import { beginStorage, checkShareLayout } from '../shares/create';
import type { ShareDeps } from '../shares/deps';
import { newShareId } from '../shares/tokens';
import type { RequestRecord } from '../stores/meta/types';
import { loadLiveRequest } from './access';
import { requestClosed, requesterQuotaExceeded, requestExpired, requestFull, requestNotFound, submissionTooLarge } from './errors';

export interface CreateSubmissionInput {
	size: number;
	partSize: number;
	header: Uint8Array;
	metadata: Uint8Array;
	readTokenHash: Uint8Array;
	ownerTokenHash: Uint8Array;
	/** E (FORMAT.md §11.4), 65 bytes: the requester needs it to derive the submission's secret. */
	ephemeralKey: Uint8Array;
}

/** A submission is a v2 share without a password (FORMAT.md §11.4): anything else could never be opened. */
function assertSubmissionHeader(header: Uint8Array): void {
	try {
		const decoded = decodeHeader(header);
		if (decoded.version !== 2 || decoded.kdf !== null) throw invalid('header', 'a submission is format v2 without a password.');
	} catch (error) {
		if (isCryptoError(error)) throw invalid('header', `${error.code}: ${error.message}`);
		throw error;
	}
}

/** Why `request` refuses a submission of `size` bytes now, or undefined if it takes it. */
function refusal(request: RequestRecord, size: number, now: number): AppError | undefined {
	if (request.state === 'expired' || request.expiresAt <= now) return requestExpired();
	if (request.state === 'closed') return requestClosed();
	if (size > request.maxSubmissionBytes) return submissionTooLarge(request.maxSubmissionBytes);
	if (request.submissions >= request.maxSubmissions) return requestFull(request.maxSubmissions);
	return undefined;
}

/**
 * Counts a submission and records it as a share of the request (docs/API.md). The count and the
 * share row are one transaction with a conditional UPDATE, so exactly `maxSubmissions` creates
 * win; a refused one stores nothing. From then on the submission is uploaded and completed like
 * any share, with the submitter's owner token (which cannot read it).
 */
export async function createSubmission(deps: ShareDeps, requestId: string, input: CreateSubmissionInput): Promise<CreateShareResponse> {
	const { config, clock, meta } = deps;
	const request = await loadLiveRequest(deps, requestId);
	const early = refusal(request, input.size, clock.now());
	if (early) throw early;
	const parts = checkShareLayout(config, input);
	assertSubmissionHeader(input.header);
	const now = clock.now();
	const id = newShareId();
	const refused = await meta.requests.insertSubmission(
		{
			id,
			size: input.size,
			partSize: input.partSize,
			parts,
			header: input.header,
			metadata: input.metadata,
			readTokenHash: input.readTokenHash,
			ownerTokenHash: input.ownerTokenHash,
			// It lives as long as its request (the sweeper ends it with the request at the latest),
			// and its requester may read it more than once: from several devices, or again after a failure.
			expiresIn: Math.max(1, Math.ceil((request.expiresAt - now) / 1000)),
			maxDownloads: Math.max(...config.downloadOptions),
			createdAt: now,
			blobUpload: null,
			submission: { requestId, ephemeralKey: input.ephemeralKey }
		},
		now
	);
	if (refused?.reason === 'bytes' || refused?.reason === 'shares')
		throw requesterQuotaExceeded(refused.reason, refused.limit, refused.used);
	// The requester's account was disabled: its requests take nothing more.
	if (refused?.reason === 'disabled') throw requestClosed();
	if (refused) {
		// Lost to a close, an expiry or the last slot meanwhile: the request as it is now says which.
		const current = await meta.requests.get(requestId);
		if (!current) throw requestNotFound();
		throw refusal(current, input.size, now) ?? requestFull(current.maxSubmissions);
	}
	await beginStorage(deps, id);
	audit(deps.logger, 'request.submit', { requestId, shareId: id, size: input.size, parts });
	return { id, parts, uploadExpiresAt: now + config.abandonAfter * 1000 };
}
