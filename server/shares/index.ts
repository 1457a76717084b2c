import type {
	ClaimResponse,
	CompleteResponse,
	CreateShareResponse,
	DirectUrlResponse,
	MetadataResponse,
	UnlockResponse,
	PartResponse,
	PartsStatus,
	PublicShareInfo,
	UpdateShareResponse
} from '../../src/lib/api/types';
import { createShare, type CreateShareInput } from './create';
import { deleteShare } from './delete';
import { blobUrl, partUploadUrl } from './direct';
import type { ShareDeps } from './deps';
import { claim, openBlob, publicInfo, sealedMetadata, unlock, type BlobAccess } from './download';
import { updateShare, type UpdateShareInput } from './update';
import { completeShare, listParts, putPart, type PutPartInput } from './upload';

export type { BlobAccess } from './download';
export type { CreateShareInput } from './create';
export type { ShareDeps } from './deps';
export type { PutPartInput } from './upload';
export type { UpdateShareInput } from './update';

/** The use cases, bound to their dependencies. Throws AppError for anything the client did. */
export interface Shares {
	create(input: CreateShareInput): Promise<CreateShareResponse>;
	putPart(input: PutPartInput): Promise<PartResponse>;
	listParts(id: string, ownerToken: string): Promise<PartsStatus>;
	complete(id: string, ownerToken: string): Promise<CompleteResponse>;
	publicInfo(id: string): Promise<PublicShareInfo>;
	/** `client` identifies the caller for the wrong-token limit (an address; never logged). */
	/** A v2 password share's key share for the right unlock token; counted like read tokens. */
	unlock(id: string, unlockToken: string, client?: string): Promise<UnlockResponse>;
	metadata(id: string, readToken: string, client?: string): Promise<MetadataResponse>;
	claim(id: string, readToken: string, client?: string): Promise<ClaimResponse>;
	openBlob(id: string, ticket: string): Promise<BlobAccess>;
	/** Direct transfers (SEALDROP_S3_DIRECT): a presigned PUT for one part (owner token). */
	partUploadUrl(id: string, n: number, ownerToken: string): Promise<DirectUrlResponse>;
	/** Direct transfers: a presigned GET of the blob, for a valid ticket, living no longer than it. */
	blobUrl(id: string, ticket: string): Promise<DirectUrlResponse>;
	delete(id: string, ownerToken: string): Promise<void>;
	/** `readInput` (the request body) is called only after the owner token is checked. */
	update(id: string, ownerToken: string, readInput: () => Promise<UpdateShareInput>): Promise<UpdateShareResponse>;
}

export function createShares(deps: ShareDeps): Shares {
	return {
		create: (input) => createShare(deps, input),
		putPart: (input) => putPart(deps, input),
		listParts: (id, token) => listParts(deps, id, token),
		complete: (id, token) => completeShare(deps, id, token),
		publicInfo: (id) => publicInfo(deps, id),
		unlock: (id, token, client) => unlock(deps, id, token, client),
		metadata: (id, token, client) => sealedMetadata(deps, id, token, client),
		claim: (id, token, client) => claim(deps, id, token, client),
		openBlob: (id, ticket) => openBlob(deps, id, ticket),
		partUploadUrl: (id, n, token) => partUploadUrl(deps, id, n, token),
		blobUrl: (id, ticket) => blobUrl(deps, id, ticket),
		delete: (id, token) => deleteShare(deps, id, token),
		update: (id, token, readInput) => updateShare(deps, id, token, readInput)
	};
}
