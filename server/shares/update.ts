import type { UpdateShareResponse } from '../../src/lib/api/types';
import { invalidField as invalid } from '../errors';
import { submissionNotChangeable } from '../requests/errors';
import { audit } from '../logger';
import { loadOwnedShare } from './access';
import { assertExpiryAllowed } from './create';
import type { ShareDeps } from './deps';
import { notReady, shareExpired, shareNotFound } from './errors';
import { unservableError } from './states';

export interface UpdateShareInput {
	/** Seconds from now; one of the configured expiry options. */
	expiresIn?: number;
	/** One of the configured download options. */
	maxDownloads?: number;
}

/**
 * The owner extends (or shortens) the expiry, counted from now, or changes the download limit,
 * within the options this server offers. Only a ready, unexpired share changes; a limit below
 * the downloads already used is refused. The change is one conditional UPDATE, so a claim racing
 * with it cannot slip past the new limit.
 *
 * `readInput` is called only once the owner token is checked: an unauthorised caller gets its
 * 404/410/403 without the server reading (or holding) its request body.
 */
export async function updateShare(
	deps: ShareDeps,
	id: string,
	ownerToken: string,
	readInput: () => Promise<UpdateShareInput>
): Promise<UpdateShareResponse> {
	const { config, clock, meta } = deps;
	const share = await loadOwnedShare(deps, id, ownerToken);
	// A file request's submission lives and is read as its request says, not as its submitter would.
	if (share.requestId !== null) throw submissionNotChangeable();
	const input = await readInput();
	if (share.state === 'uploading') throw notReady();
	if (input.expiresIn !== undefined && !config.expiryOptions.includes(input.expiresIn)) {
		throw invalid('expiresIn', `must be one of ${config.expiryOptions.join(', ')}.`);
	}
	if (input.maxDownloads !== undefined && !config.downloadOptions.includes(input.maxDownloads)) {
		throw invalid('maxDownloads', `must be one of ${config.downloadOptions.join(', ')}.`);
	}
	if (input.expiresIn !== undefined) {
		// A share made by an account cannot be extended past that account's longest expiry.
		const limits = await meta.accounts.ownerLimits(id);
		if (limits) assertExpiryAllowed(limits.maxExpiry, input.expiresIn);
	}
	const now = clock.now();
	const changes = {
		expiresAt: input.expiresIn === undefined ? undefined : now + input.expiresIn * 1000,
		maxDownloads: input.maxDownloads
	};
	const updated = await meta.shares.update(id, now, changes);
	if (!updated) {
		const current = await meta.shares.get(id);
		if (!current) throw shareNotFound();
		// Expired (or removed) meanwhile: its own 410. Otherwise the limit was below the count.
		const expired = current.state !== 'ready' || current.expiresAt === null || current.expiresAt <= now;
		if (expired) throw unservableError(current, now) ?? shareExpired();
		throw invalid('maxDownloads', `${current.downloads} downloads were already used; the limit cannot be lower.`);
	}
	audit(deps.logger, 'share.update', {
		shareId: id,
		expiresAt: updated.expiresAt,
		maxDownloads: updated.maxDownloads,
		downloads: updated.downloads
	});
	return {
		id,
		expiresAt: updated.expiresAt ?? 0,
		maxDownloads: updated.maxDownloads,
		downloads: updated.downloads,
		downloadsLeft: Math.max(0, updated.maxDownloads - updated.downloads)
	};
}
