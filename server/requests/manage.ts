import type { PublicRequestInfo, SubmissionInfo, SubmissionList } from '../../src/lib/api/types';
import { encodeBase64Url } from '../encoding';
import { audit } from '../logger';
import type { ShareDeps } from '../shares/deps';
import { loadLiveRequest, loadOwnedRequest } from './access';
import { publicRequestInfo } from './create';
import { submissionNotFound } from './errors';

/** Public info: what a submitter needs (key, tag, sealed info, limits) and the live counts. Reads only. */
export async function requestInfo(deps: ShareDeps, id: string): Promise<PublicRequestInfo> {
	return publicRequestInfo(await loadLiveRequest(deps, id));
}

/** The live submissions, for the request's owner only: what it needs to derive each secret and read it as a share. */
export async function listSubmissions(deps: ShareDeps, id: string, ownerToken: string): Promise<SubmissionList> {
	await loadOwnedRequest(deps, id, ownerToken);
	const rows = await deps.meta.requests.listSubmissions(id);
	const submissions: SubmissionInfo[] = rows.map((row) => ({
		id: row.id,
		state: row.state as SubmissionInfo['state'],
		size: row.size,
		header: encodeBase64Url(row.header ?? new Uint8Array()),
		ephemeralKey: encodeBase64Url(row.ephemeralKey ?? new Uint8Array()),
		createdAt: row.createdAt,
		completedAt: row.completedAt,
		expiresAt: row.expiresAt,
		downloads: row.downloads,
		maxDownloads: row.maxDownloads
	}));
	return { submissions };
}

/** Stops taking submissions; those received stay readable until the request expires. Closing twice is fine. */
export async function closeRequest(deps: ShareDeps, id: string, ownerToken: string): Promise<PublicRequestInfo> {
	const request = await loadOwnedRequest(deps, id, ownerToken);
	if (await deps.meta.requests.close(id, deps.clock.now())) {
		audit(deps.logger, 'request.close', { requestId: id, submissions: request.submissions });
	}
	return publicRequestInfo(await loadLiveRequest(deps, id));
}

/**
 * The requester deletes one submission (uploading or ready). Its slot is not given back: the
 * count is of submissions made, so a deleted one cannot be replaced by a stranger.
 */
export async function deleteSubmission(deps: ShareDeps, id: string, ownerToken: string, submissionId: string): Promise<void> {
	await loadOwnedRequest(deps, id, ownerToken);
	const share = await deps.meta.shares.get(submissionId);
	if (!share || share.requestId !== id) throw submissionNotFound();
	if (!(await deps.meta.shares.markDeleted(submissionId, deps.clock.now()))) throw submissionNotFound();
	audit(deps.logger, 'submission.delete', { requestId: id, shareId: submissionId, was: share.state });
	try {
		await deps.blobs.delete({ id: submissionId, upload: share.blobUpload });
		await deps.meta.sweeping.markBlobGone(submissionId);
	} catch (error) {
		deps.logger.warn({ err: error, shareId: submissionId }, 'blob delete failed; the sweeper will retry');
	}
}
