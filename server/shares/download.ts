import type { ClaimResponse, MetadataResponse, PublicShareInfo, UnlockResponse } from '../../src/lib/api/types';
import { encodeBase64Url } from '../encoding';
import type { AppError } from '../errors';
import { audit } from '../logger';
import { watchStream } from '../streams';
import type { ShareRecord } from '../stores/meta/types';
import { loadShare } from './access';
import type { ShareDeps } from './deps';
import {
	downloadLimitReached,
	nothingToUnlock,
	notReady,
	shareExpired,
	shareNotFound,
	ticketInvalid,
	wrongPassword,
	uploadAbandoned,
	uploadEnded,
	wrongReadToken
} from './errors';
import { tombstoneError, unservableError } from './states';
import { readWhileUploading, receivedBytes, streamable, uploaderGone } from './stream';
import { hashToken, newTicket, tokenMatches } from './tokens';

/**
 * A ready share with downloads left, or one still uploading with downloads left if this server
 * streams (stream.ts); anything else throws the error the client gets.
 */
async function loadServable(deps: ShareDeps, id: string): Promise<ShareRecord> {
	const share = await loadShare(deps, id);
	const error = servingError(deps, share);
	if (error) throw error;
	return share;
}

function servingError(deps: ShareDeps, share: ShareRecord): AppError | undefined {
	if (share.state === 'uploading' && streamable(deps, share)) {
		// Silent past the abandon rule: what the sweeper is about to make of it.
		if (uploaderGone(deps, share)) return uploadAbandoned();
		if (share.downloads >= share.maxDownloads) return downloadLimitReached();
		return undefined;
	}
	return unservableError(share, deps.clock.now());
}

/**
 * A client that sent too many wrong tokens lately, or a password share that must still wait, is
 * refused before the token is looked at (429); a wrong token is counted (attempts.ts).
 */
async function checkReadToken(deps: ShareDeps, share: ShareRecord, readToken: string, client: string | undefined): Promise<void> {
	await deps.attempts.check(share, client);
	if (!tokenMatches(readToken, share.readTokenHash)) {
		await deps.attempts.fail(share, client);
		throw wrongReadToken();
	}
}

/** Public info. Reads only: link previews and reloads cost nothing. */
export async function publicInfo(deps: ShareDeps, id: string): Promise<PublicShareInfo> {
	const loaded = await loadShare(deps, id);
	// While uploading, public info is the upload's progress: it answers even once every download
	// is claimed (the recipient follows the sender; downloadsLeft says 0), and on a store that
	// cannot stream (NOT_READY comes from metadata and claim).
	const following = loaded.state === 'uploading' && !uploaderGone(deps, loaded);
	const share = following ? loaded : await loadServable(deps, id);
	const uploading =
		share.state === 'uploading'
			? {
					state: 'uploading' as const,
					streamable: streamable(deps, share),
					received: await receivedBytes(deps, share),
					uploaderSeenAt: share.lastPartAt
				}
			: { state: 'ready' as const };
	return {
		id: share.id,
		size: share.size,
		header: encodeBase64Url(share.header ?? new Uint8Array()),
		createdAt: share.createdAt,
		expiresAt: share.expiresAt ?? 0,
		maxDownloads: share.maxDownloads,
		downloads: share.downloads,
		downloadsLeft: share.maxDownloads - share.downloads,
		...uploading
	};
}

/**
 * The password check of a format v2 share (FORMAT.md §3): the right unlock token U gets the key
 * share W and its commitment KC. The only way anyone can test a password guess, so it goes
 * through the same attempt limit as read tokens: while limited, 429 before U is looked at.
 */
export async function unlock(deps: ShareDeps, id: string, unlockToken: string, client?: string): Promise<UnlockResponse> {
	const share = await loadServable(deps, id);
	if (!share.password) throw nothingToUnlock();
	await deps.attempts.check(share, client);
	if (!tokenMatches(unlockToken, share.password.unlockTokenHash)) {
		await deps.attempts.fail(share, client);
		throw wrongPassword();
	}
	return { keyShare: encodeBase64Url(share.password.keyShare), keyCommitment: encodeBase64Url(share.password.keyCommitment) };
}

export async function sealedMetadata(deps: ShareDeps, id: string, readToken: string, client?: string): Promise<MetadataResponse> {
	const share = await loadServable(deps, id);
	await checkReadToken(deps, share, readToken, client);
	return { metadata: encodeBase64Url(share.metadata ?? new Uint8Array()) };
}

/**
 * Spends one download. The count itself is one conditional UPDATE in the store; everything
 * before it only picks the right error early. A ticket never outlives the share's expiry: expiry
 * is a hard end, while the download limit lets claimed downloads finish.
 */
export async function claim(deps: ShareDeps, id: string, readToken: string, client?: string): Promise<ClaimResponse> {
	const share = await loadServable(deps, id);
	await checkReadToken(deps, share, readToken, client);
	const now = deps.clock.now();
	const ticket = newTicket();
	// A share still uploading has no expiry yet (it counts from complete): the ticket's own lifetime.
	const uploading = share.state === 'uploading';
	const ticketExpiresAt = uploading
		? now + deps.config.ticketTtl * 1000
		: Math.min(now + deps.config.ticketTtl * 1000, share.expiresAt ?? now);
	const counted = await deps.meta.tickets.claim(id, now, { hash: hashToken(ticket) as Buffer, expiresAt: ticketExpiresAt }, { uploading });
	if (!counted) {
		// Lost the race for the last download (or the share changed): report its state now.
		const current = await deps.meta.shares.get(id);
		if (!current) throw shareNotFound();
		throw servingError(deps, current) ?? downloadLimitReached();
	}
	audit(deps.logger, 'share.claim', { shareId: id, downloads: counted.downloads, maxDownloads: counted.maxDownloads, uploading });
	return {
		ticket,
		ticketExpiresAt,
		downloads: counted.downloads,
		downloadsLeft: counted.maxDownloads - counted.downloads,
		header: encodeBase64Url(share.header ?? new Uint8Array()),
		metadata: encodeBase64Url(share.metadata ?? new Uint8Array())
	};
}

export interface BlobAccess {
	size: number;
	/**
	 * Bytes start … endExclusive−1. While the share is still uploading, waits for the parts
	 * (stream.ts): NOT_YET_UPLOADED before any byte, a failed stream after; `signal` ends a wait.
	 */
	read(start: number, endExclusive: number, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>>;
}

/**
 * Checks a ticket for the blob. A share out of downloads still serves its tickets until they
 * expire (so a download can resume); an expired or deleted share serves nothing.
 */
export async function openBlob(deps: ShareDeps, id: string, ticket: string): Promise<BlobAccess> {
	const { share } = await loadTicketed(deps, id, ticket);
	const layout = { id, size: share.size, partSize: share.partSize };
	return {
		size: share.size,
		read: async (start, endExclusive, signal) => {
			const stream =
				share.state === 'uploading'
					? await readWhileUploading(deps, share, start, endExclusive, signal)
					: await deps.blobs.read(layout, start, endExclusive);
			// A failure after the answer has begun reaches no error handler: log it here.
			return watchStream(stream, {
				error: (error) => deps.logger.error({ err: error, shareId: id, start, end: endExclusive }, 'blob read failed mid-transfer')
			});
		}
	};
}

/**
 * A ready, unexpired share (or, on a streaming server, one still uploading) and the expiry of a
 * valid ticket for it; otherwise the error to answer. A share that ended before it was complete
 * is UPLOAD_ABANDONED: what a recipient waiting on its upload must hear.
 */
export async function loadTicketed(deps: ShareDeps, id: string, ticket: string): Promise<{ share: ShareRecord; ticketExpiresAt: number }> {
	const share = await loadShare(deps, id);
	const now = deps.clock.now();
	const gone = tombstoneError(share);
	if (gone) throw share.completedAt === null ? uploadEnded() : gone;
	if (share.state === 'uploading') {
		if (!streamable(deps, share)) throw notReady();
		if (uploaderGone(deps, share)) throw uploadEnded();
	} else if (share.expiresAt === null || share.expiresAt <= now) throw shareExpired();

	const hash = hashToken(ticket);
	const found = hash && (await deps.meta.tickets.find(hash));
	if (!found || found.shareId !== id || found.expiresAt <= now) throw ticketInvalid();
	return { share, ticketExpiresAt: found.expiresAt };
}
