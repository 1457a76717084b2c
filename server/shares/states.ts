import { AppError } from '../errors';
import type { ShareRecord } from '../stores/meta/types';

export const notFound = (): AppError => new AppError('NOT_FOUND', 'No share has this id.');

/** The 410 a tombstone answers, or undefined for a live share. */
export function tombstoneError(share: ShareRecord): AppError | undefined {
	switch (share.state) {
		case 'expired':
			return new AppError('EXPIRED', 'This share has expired.');
		case 'abandoned':
			return new AppError('EXPIRED', 'This upload was never finished and has been removed.');
		case 'deleted':
			return new AppError('DELETED', 'The sender deleted this share.');
		case 'exhausted':
			return new AppError('DOWNLOAD_LIMIT_REACHED', 'Every download of this share has been used.');
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
	if (share.state === 'uploading') return new AppError('NOT_READY', 'This share is still being uploaded.');
	if (share.expiresAt === null || share.expiresAt <= now) return new AppError('EXPIRED', 'This share has expired.');
	if (share.downloads >= share.maxDownloads) {
		return new AppError('DOWNLOAD_LIMIT_REACHED', 'Every download of this share has been used.');
	}
	return undefined;
}
