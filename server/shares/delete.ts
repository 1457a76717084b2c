import { audit } from '../logger';
import { closedUploadError, loadOwnedShare } from './access';
import type { ShareDeps } from './deps';

/**
 * Deletes a share (also one still uploading: that is how a client cancels). Secrets go in the
 * same statement that changes the state; if deleting the blob fails, the sweeper retries it.
 */
export async function deleteShare(deps: ShareDeps, id: string, ownerToken: string): Promise<void> {
	const share = await loadOwnedShare(deps, id, ownerToken);
	if (!(await deps.meta.shares.markDeleted(id, deps.clock.now()))) throw await closedUploadError(deps, id);
	deps.uploads?.notify(id);
	audit(deps.logger, 'share.delete', { shareId: id, was: share.state, downloads: share.downloads });
	try {
		await deps.blobs.delete({ id, upload: share.blobUpload });
		await deps.meta.sweeping.markBlobGone(id);
	} catch (error) {
		deps.logger.warn({ err: error, shareId: id }, 'blob delete failed; the sweeper will retry');
	}
}
