import { AppError } from '../errors';
import type { ShareRecord } from '../stores/meta/types';
import type { ShareDeps } from './deps';
import { notFound, tombstoneError } from './states';
import { tokenMatches } from './tokens';

export async function loadShare(deps: ShareDeps, id: string): Promise<ShareRecord> {
	const share = await deps.meta.getShare(id);
	if (!share) throw notFound();
	return share;
}

/**
 * A live share whose owner token matches. Tombstones answer their 410 first: their token
 * hashes are wiped, so there is nothing left to check a token against.
 */
export async function loadOwnedShare(deps: ShareDeps, id: string, ownerToken: string): Promise<ShareRecord> {
	const share = await loadShare(deps, id);
	const gone = tombstoneError(share);
	if (gone) throw gone;
	if (!tokenMatches(ownerToken, share.ownerTokenHash)) throw new AppError('FORBIDDEN', 'Wrong owner token.');
	return share;
}

/**
 * A complete is sealing the share: it takes no part and no other complete until that one ends.
 * Not ALREADY_COMPLETE, which tells a client its share is complete: this one may still end in
 * MISSING_PARTS. Retrying shortly gets the outcome.
 */
export const beingCompleted = (): AppError =>
	new AppError('UNAVAILABLE', 'This share is being completed; retry in a moment.', { completing: true, retryAfter: 1 }, { 'Retry-After': '1' });

/** Why a conditional update on an upload did not happen: it was completed or removed meanwhile. */
export async function closedUploadError(deps: ShareDeps, id: string): Promise<AppError> {
	const share = await deps.meta.getShare(id);
	if (!share) return notFound();
	if (share.state === 'ready') return new AppError('ALREADY_COMPLETE', 'This share is already complete.');
	if (share.state === 'uploading' && share.completingSince !== null) return beingCompleted();
	return tombstoneError(share) ?? new AppError('UNAVAILABLE', 'The share changed meanwhile; retry.');
}
