import type { CreateShareResponse, PublicRequestInfo, SubmissionList } from '../../src/lib/api/types';
import type { ShareDeps } from '../shares/deps';
import { createRequest, type CreateRequestInput } from './create';
import { closeRequest, deleteSubmission, listSubmissions, requestInfo } from './manage';
import { createSubmission, type CreateSubmissionInput } from './submit';

export type { CreateRequestInput } from './create';
export type { CreateSubmissionInput } from './submit';

/**
 * File requests (docs/API.md, "File requests"), bound to their dependencies. A submission is a
 * share linked to its request: uploading, completing, reading and sweeping it are the shares'.
 */
export interface Requests {
	create(input: CreateRequestInput): Promise<PublicRequestInfo>;
	info(id: string): Promise<PublicRequestInfo>;
	submit(id: string, input: CreateSubmissionInput): Promise<CreateShareResponse>;
	listSubmissions(id: string, ownerToken: string): Promise<SubmissionList>;
	close(id: string, ownerToken: string): Promise<PublicRequestInfo>;
	deleteSubmission(id: string, ownerToken: string, submissionId: string): Promise<void>;
}

export function createRequests(deps: ShareDeps): Requests {
	return {
		create: (input) => createRequest(deps, input),
		info: (id) => requestInfo(deps, id),
		submit: (id, input) => createSubmission(deps, id, input),
		listSubmissions: (id, token) => listSubmissions(deps, id, token),
		close: (id, token) => closeRequest(deps, id, token),
		deleteSubmission: (id, token, submissionId) => deleteSubmission(deps, id, token, submissionId)
	};
}
