import type { AppError } from '../errors';
import type { ShareRecord } from '../stores/meta/types';
import type { ShareDeps } from './deps';
import { alreadyComplete, beingCompleted, shareChanged, shareNotFound, wrongOwnerToken } from './errors';
import { tombstoneError } from './states';
import { tokenMatches } from './tokens';

export async function loadShare(deps: ShareDeps, id: string): Promise<ShareRecord> {
	const share = await deps.meta.shares.get(id);
	if (!share) throw shareNotFound();
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
	if (!tokenMatches(ownerToken, share.ownerTokenHash)) throw wrongOwnerToken();
	return share;
}

/** Why a conditional update on an upload did not happen: it was completed or removed meanwhile. */
export async function closedUploadError(deps: ShareDeps, id: string): Promise<AppError> {
	const share = await deps.meta.shares.get(id);
	if (!share) return shareNotFound();
	if (share.state === 'ready') return alreadyComplete();
	if (share.state === 'uploading' && share.completingSince !== null) return beingCompleted();
	return tombstoneError(share) ?? shareChanged();
}
