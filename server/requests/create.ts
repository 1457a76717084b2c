import type { PublicRequestInfo } from '../../src/lib/api/types';
import { encodeBase64Url } from '../encoding';
import { invalidField as invalid } from '../errors';
import { audit } from '../logger';
import { assertExpiryAllowed } from '../shares/create';
import type { ShareDeps } from '../shares/deps';
import { newShareId } from '../shares/tokens';
import type { UserRecord } from '../stores/meta/account-types';
import type { RequestRecord } from '../stores/meta/types';

/** The most submissions one request may take: a bound on what one link can make the server store. */
export const MAX_SUBMISSIONS = 1000;

export interface CreateRequestInput {
	ownerTokenHash: Uint8Array;
	publicKey: Uint8Array;
	keyTag: Uint8Array;
	sealedInfo: Uint8Array;
	expiresIn: number;
	maxSubmissions: number;
	maxSubmissionBytes: number;
	/** The account creating it (restricted mode): its longest expiry applies and it owns the request. */
	owner?: UserRecord;
}

/** Records a new, open file request (docs/API.md, "File requests"). */
export async function createRequest(deps: ShareDeps, input: CreateRequestInput): Promise<PublicRequestInfo> {
	const { config, clock, meta } = deps;
	if (!config.expiryOptions.includes(input.expiresIn)) throw invalid('expiresIn', `must be one of ${config.expiryOptions.join(', ')}.`);
	if (input.maxSubmissions < 1 || input.maxSubmissions > MAX_SUBMISSIONS) {
		throw invalid('maxSubmissions', `must be 1 … ${MAX_SUBMISSIONS}.`);
	}
	if (input.maxSubmissionBytes < 1 || input.maxSubmissionBytes > config.maxShareBytes) {
		throw invalid('maxSubmissionBytes', `must be 1 … ${config.maxShareBytes} (the largest share).`);
	}
	if (input.sealedInfo.length > config.maxMetadataBytes) throw invalid('sealedInfo', `at most ${config.maxMetadataBytes} bytes.`);
	if (input.owner) assertExpiryAllowed(input.owner.maxExpiry, input.expiresIn);
	const id = newShareId();
	const now = clock.now();
	await meta.requests.insert({
		id,
		ownerTokenHash: input.ownerTokenHash,
		publicKey: input.publicKey,
		keyTag: input.keyTag,
		sealedInfo: input.sealedInfo,
		expiresAt: now + input.expiresIn * 1000,
		maxSubmissions: input.maxSubmissions,
		maxSubmissionBytes: input.maxSubmissionBytes,
		createdAt: now,
		ownerUserId: input.owner?.id ?? null
	});
	audit(deps.logger, 'request.create', {
		requestId: id,
		expiresIn: input.expiresIn,
		maxSubmissions: input.maxSubmissions,
		maxSubmissionBytes: input.maxSubmissionBytes,
		...(input.owner ? { userId: input.owner.id } : {})
	});
	return publicRequestInfo((await meta.requests.get(id))!);
}

/** The answer of GET /requests/:id for a request that is not expired (its secrets are still there). */
export function publicRequestInfo(request: RequestRecord): PublicRequestInfo {
	return {
		id: request.id,
		state: request.state,
		publicKey: encodeBase64Url(request.publicKey ?? new Uint8Array()),
		keyTag: encodeBase64Url(request.keyTag ?? new Uint8Array()),
		sealedInfo: encodeBase64Url(request.sealedInfo ?? new Uint8Array()),
		createdAt: request.createdAt,
		expiresAt: request.expiresAt,
		maxSubmissions: request.maxSubmissions,
		maxSubmissionBytes: request.maxSubmissionBytes,
		submissions: request.submissions,
		submissionsLeft: Math.max(0, request.maxSubmissions - request.submissions)
	};
}
