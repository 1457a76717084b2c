import type { ClaimResponse, MetadataResponse, PublicShareInfo, UnlockResponse } from '../../src/lib/api/types';
import { encodeBase64Url } from '../encoding';
import { audit } from '../logger';
import { chunksOf, toWebStream } from '../streams';
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
	wrongReadToken
} from './errors';
import { tombstoneError, unservableError } from './states';
import { hashToken, newTicket, tokenMatches } from './tokens';

/** A ready share with downloads left; anything else throws the error the client gets. */
async function loadServable(deps: ShareDeps, id: string): Promise<ShareRecord> {
	const share = await loadShare(deps, id);
	const error = unservableError(share, deps.clock.now());
	if (error) throw error;
	return share;
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
	const share = await loadServable(deps, id);
	return {
		id: share.id,
		size: share.size,
		header: encodeBase64Url(share.header ?? new Uint8Array()),
		createdAt: share.createdAt,
		expiresAt: share.expiresAt ?? 0,
		maxDownloads: share.maxDownloads,
		downloads: share.downloads,
		downloadsLeft: share.maxDownloads - share.downloads
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
	const ticketExpiresAt = Math.min(now + deps.config.ticketTtl * 1000, share.expiresAt ?? now);
	const counted = await deps.meta.tickets.claim(id, now, { hash: hashToken(ticket) as Buffer, expiresAt: ticketExpiresAt });
	if (!counted) {
		// Lost the race for the last download (or the share changed): report its state now.
		const current = await deps.meta.shares.get(id);
		if (!current) throw shareNotFound();
		throw unservableError(current, deps.clock.now()) ?? downloadLimitReached();
	}
	audit(deps.logger, 'share.claim', { shareId: id, downloads: counted.downloads, maxDownloads: counted.maxDownloads });
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
	/** Bytes start … endExclusive−1. */
	read(start: number, endExclusive: number): Promise<ReadableStream<Uint8Array>>;
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
		read: async (start, endExclusive) => {
			const stream = await deps.blobs.read(layout, start, endExclusive);
			// A failure after the answer has begun reaches no error handler: log it here.
			return toWebStream(
				onFailure(stream, (error) =>
					deps.logger.error({ err: error, shareId: id, start, end: endExclusive }, 'blob read failed mid-transfer')
				)
			);
		}
	};
}

/** A ready, unexpired share and the expiry of a valid ticket for it; otherwise the error to answer. */
export async function loadTicketed(deps: ShareDeps, id: string, ticket: string): Promise<{ share: ShareRecord; ticketExpiresAt: number }> {
	const share = await loadShare(deps, id);
	const now = deps.clock.now();
	const gone = tombstoneError(share);
	if (gone) throw gone;
	if (share.state === 'uploading') throw notReady();
	if (share.expiresAt === null || share.expiresAt <= now) throw shareExpired();

	const hash = hashToken(ticket);
	const found = hash && (await deps.meta.tickets.find(hash));
	if (!found || found.shareId !== id || found.expiresAt <= now) throw ticketInvalid();
	return { share, ticketExpiresAt: found.expiresAt };
}

/** The chunks of `source`; a failure is reported to `report` and then passed on. */
async function* onFailure(source: ReadableStream<Uint8Array>, report: (error: unknown) => void): AsyncGenerator<Uint8Array> {
	try {
		yield* chunksOf(source);
	} catch (error) {
		report(error);
		throw error;
	}
}
