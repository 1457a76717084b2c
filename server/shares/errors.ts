/**
 * The errors of shares: finding one, its owner and read tokens, its lifecycle, its upload and its
 * download. One factory each: the only place each sentence is written (docs/API.md lists the codes).
 */
import { AppError } from '../errors';

export const shareNotFound = (): AppError => new AppError('NOT_FOUND', 'No share has this id.');

export const wrongOwnerToken = (): AppError => new AppError('FORBIDDEN', 'Wrong owner token.');

export const wrongReadToken = (): AppError => new AppError('FORBIDDEN', 'Wrong read token.');

export const wrongPassword = (): AppError => new AppError('WRONG_PASSWORD', 'Wrong password.');

/** An unlock for a share whose keys need no key share (no password, or format v1). */
export const nothingToUnlock = (): AppError =>
	new AppError('INVALID_REQUEST', 'password: this share has no server-held key share to unlock.', { field: 'password' });

/**
 * Wrong tokens over the limit; whole seconds rounded up, so a retry after Retry-After is never early.
 * `limit` says whose wrong tokens decide the wait: this client's, or the password share's.
 */
export function tooManyAttempts(ms: number, limit: 'client' | 'share'): AppError {
	const seconds = Math.ceil(ms / 1000);
	return new AppError(
		'TOO_MANY_ATTEMPTS',
		`Too many wrong attempts; try again in ${seconds} s.`,
		{ retryAfter: seconds, limit },
		{
			retryAfterSeconds: seconds
		}
	);
}

// Lifecycle: why a share cannot be served (states.ts).

export const notReady = (): AppError => new AppError('NOT_READY', 'This share is still being uploaded.');

/** A blob read waited for a part the uploader has not sent yet: the client asks again at once. */
export const notYetUploaded = (received: number): AppError =>
	new AppError('NOT_YET_UPLOADED', 'This part of the share has not been uploaded yet; ask again.', { received });

/** A recipient reading a share whose upload ended unfinished (deleted, or its uploader went silent). */
export const uploadEnded = (): AppError =>
	new AppError('UPLOAD_ABANDONED', 'The sender stopped this upload before it was complete; nothing more will arrive.');

export const shareExpired = (): AppError => new AppError('EXPIRED', 'This share has expired.');

/** Abandoned while uploading: to its recipients the same as expired. */
export const uploadAbandoned = (): AppError => new AppError('EXPIRED', 'This upload was never finished and has been removed.');

export const shareDeleted = (): AppError => new AppError('DELETED', 'The sender deleted this share.');

export const downloadLimitReached = (): AppError => new AppError('DOWNLOAD_LIMIT_REACHED', 'Every download of this share has been used.');

export const ticketInvalid = (): AppError => new AppError('TICKET_INVALID', 'The ticket is unknown, expired, or for another share.');

// Creating.

export const shareTooLarge = (limit: number): AppError =>
	new AppError('TOO_LARGE', `size: the largest share is ${limit} bytes.`, { field: 'size', limit });

export const metadataTooLarge = (limit: number): AppError =>
	new AppError('TOO_LARGE', `metadata: at most ${limit} bytes.`, { field: 'metadata', limit });

// Uploading and completing.

export const alreadyComplete = (): AppError => new AppError('ALREADY_COMPLETE', 'This share is already complete.');

/**
 * A complete is sealing the share: it takes no part and no other complete until that one ends.
 * Not ALREADY_COMPLETE, which tells a client its share is complete: this one may still end in
 * MISSING_PARTS. Retrying shortly gets the outcome.
 */
export const beingCompleted = (): AppError =>
	new AppError(
		'UNAVAILABLE',
		'This share is being completed; retry in a moment.',
		{ completing: true, retryAfter: 1 },
		{
			retryAfterSeconds: 1
		}
	);

/**
 * This instance is shutting down and ends the reads waiting for a part at once rather than hold
 * the shutdown: the client asks again after a second (another instance, or this one restarted).
 */
export const shuttingDown = (): AppError =>
	new AppError(
		'UNAVAILABLE',
		'This server is shutting down; retry in a moment.',
		{ retryAfter: 1 },
		{
			retryAfterSeconds: 1,
			closeConnection: true
		}
	);

/** A conditional update lost to a change this request cannot name; a retry sees the new state. */
export const shareChanged = (): AppError => new AppError('UNAVAILABLE', 'The share changed meanwhile; retry.');

/** A part number past the share's last part (the syntax is checked in server/http/params.ts). */
export const partOutOfRange = (parts: number): AppError =>
	new AppError('INVALID_PART', `The part number must be 0 … ${parts - 1}.`, { parts });

export const partTooLong = (expected: number): AppError =>
	new AppError('TOO_LARGE', `The part is longer than its ${expected} bytes.`, { expected });

export const partTooShort = (expected: number): AppError =>
	new AppError('PART_SIZE_MISMATCH', `The part must be exactly ${expected} bytes.`, { expected });

export const partBrokenOff = (expected: number): AppError =>
	new AppError('PART_SIZE_MISMATCH', `The part body broke off before its ${expected} bytes.`, { expected });

/** `why` ends "`n` of `of` parts …": they have not arrived, or must be sent again. */
export const missingParts = (missing: number[], of: number, why = 'have not arrived'): AppError =>
	new AppError('MISSING_PARTS', `${missing.length} of ${of} parts ${why}.`, { missing });

/** The presigned-URL endpoints exist only with SEALDROP_S3_DIRECT. */
export const directTransfersOff = (): AppError =>
	new AppError('NOT_FOUND', 'No such endpoint: direct transfers to the bucket are off on this server (SEALDROP_S3_DIRECT).');
