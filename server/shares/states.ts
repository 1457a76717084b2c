import type { AppError } from '../errors';
import type { ShareRecord } from '../stores/meta/types';
import { downloadLimitReached, notReady, shareDeleted, shareExpired, uploadAbandoned } from './errors';

/** The 410 a tombstone answers, or undefined for a live share. */
export function tombstoneError(share: ShareRecord): AppError | undefined {
	switch (share.state) {
		case 'expired':
			return shareExpired();
		case 'abandoned':
			return uploadAbandoned();
		case 'deleted':
			return shareDeleted();
		case 'exhausted':
			return downloadLimitReached();
		default:
			return undefined;
	}
}

/**
 * Why a recipient cannot be served this share now, or undefined if it can: a tombstone, an
 * unfinished upload, or a ready share past its expiry or out of downloads (before the sweeper
 * has turned it into a tombstone).
 */
export function unservableError(share: ShareRecord, now: number): AppError | undefined {
	const gone = tombstoneError(share);
	if (gone) return gone;
	if (share.state === 'uploading') return notReady();
	if (share.expiresAt === null || share.expiresAt <= now) return shareExpired();
	if (share.downloads >= share.maxDownloads) return downloadLimitReached();
	return undefined;
}
