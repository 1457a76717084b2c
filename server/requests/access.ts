import type { ShareDeps } from '../shares/deps';
import { tokenMatches } from '../shares/tokens';
import type { RequestRecord } from '../stores/meta/types';
import { requestExpired, requestNotFound, wrongRequestOwnerToken } from './errors';

/** A request that is not expired (404 if none, 410 EXPIRED once swept or past its time). */
export async function loadLiveRequest(deps: ShareDeps, id: string): Promise<RequestRecord> {
	const request = await deps.meta.requests.get(id);
	if (!request) throw requestNotFound();
	if (request.state === 'expired' || request.expiresAt <= deps.clock.now()) throw requestExpired();
	return request;
}

/** A live request whose owner token matches: its hash is wiped once expired, so that comes first. */
export async function loadOwnedRequest(deps: ShareDeps, id: string, ownerToken: string): Promise<RequestRecord> {
	const request = await loadLiveRequest(deps, id);
	if (!tokenMatches(ownerToken, request.ownerTokenHash)) throw wrongRequestOwnerToken();
	return request;
}
