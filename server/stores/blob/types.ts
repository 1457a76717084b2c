import type { ByteSource } from '../../streams';

/**
 * Where ciphertext lives. Shaped after S3 multipart uploads so an S3 store can implement it:
 * `begin` ↔ CreateMultipartUpload (its UploadId is the `upload` handle, which the MetaStore keeps
 * so every instance can use it), `putPart` ↔ UploadPart, `complete` ↔ CompleteMultipartUpload,
 * `read` ↔ ranged GetObject, `delete` ↔ DeleteObject + AbortMultipartUpload. (The S3 store
 * outside direct mode stores each part as an object instead, to read it before complete: s3.ts.)
 */
export interface BlobStore {
	/** Prepares an upload; returns a handle to pass back to the other calls (or null). */
	begin(id: string): Promise<string | null>;

	/**
	 * Streams one part to storage. Resolves only when the part is durable; sending part `n`
	 * again replaces it atomically. Rejects with PartLengthError (keeping nothing) if the body is
	 * not exactly `expectedLength` bytes, with UploadClosedError if the upload was completed or
	 * deleted meanwhile, and with the signal's reason if aborted.
	 */
	putPart(
		blob: BlobUpload,
		n: number,
		body: ByteSource,
		expectedLength: number,
		signal?: AbortSignal
	): Promise<{ size: number; etag?: string }>;

	/**
	 * Seals exactly the listed parts (sorted by n) into the blob. Idempotent. Rejects with
	 * PartsMismatchError, sealing nothing, if the stored parts are not the listed ones (missing,
	 * another size, or replaced since: their etag differs). The caller checks the sealed blob's
	 * size before serving it.
	 */
	complete(blob: BlobUpload, parts: { n: number; size: number; etag?: string | null }[]): Promise<void>;

	/**
	 * Bytes `start … endExclusive−1` of a completed blob, streamed with back-pressure. Rejects
	 * (before any byte) if the blob is missing.
	 */
	read(blob: BlobLayout, start: number, endExclusive: number): Promise<ReadableStream<Uint8Array>>;

	/**
	 * Bytes `start … endExclusive−1` (offsets inside the part) of part `n` of an upload still in
	 * progress, as stored under `etag` (the copy the MetaStore recorded); if the upload has been
	 * sealed meanwhile, the same bytes of the sealed blob. Rejects (before any byte) if neither is
	 * there. Optional: a store without it cannot serve a share before it is complete
	 * (`streamable: false`).
	 */
	readUploadingPart?(id: string, n: number, etag: string | null, start: number, endExclusive: number): Promise<ReadableStream<Uint8Array>>;

	/**
	 * Whether readUploadingPart can read the upload with this handle (absent: every one). S3: not
	 * a multipart upload (direct mode, or begun before part objects), which cannot be read unfinished.
	 */
	readsUpload?(upload: string | null): boolean;

	/** Deletes the blob or the unfinished upload. Idempotent. */
	delete(blob: BlobUpload): Promise<void>;

	/** Total bytes of a completed blob, undefined if there is none: complete checks it before ready. */
	size(id: string): Promise<number | undefined>;

	/** Removes leftovers of crashed writes last modified before `before` (ms). */
	collectGarbage?(before: number): Promise<void>;

	/**
	 * Removes blobs and unfinished uploads last modified before `before` (ms) that no share row
	 * claims (`live` answers, for a batch of ids, the upload handle of each id that has a row with
	 * its blob not yet deleted). Returns how many it removed.
	 */
	collectOrphans?(before: number, live: LiveBlobs): Promise<number>;

	/** Resolves if the store answers (for /readyz); rejects with the reason otherwise. */
	ping?(): Promise<void>;

	/** Releases connections; the store is not used afterwards. */
	close?(): void | Promise<void>;
}

/**
 * A store clients can reach themselves (S3 with SEALDROP_S3_DIRECT): presigned URLs for one part's
 * PUT and for ranged GETs of a blob, and the parts the store holds (the server records none).
 */
export interface DirectBlobStore extends BlobStore {
	/** A URL to PUT part `n` (exactly `length` bytes, pinned by the signature) until `now + expiresIn` s. */
	presignPart(blob: BlobUpload, n: number, length: number, expiresIn: number, now: number): Promise<string>;
	/**
	 * A URL for ranged GETs of the completed blob until `now + expiresIn` s. Rejects with
	 * NoDirectReadError if the blob is not one object (S3 part objects): it is read through the server.
	 */
	presignRead(id: string, expiresIn: number, now: number): Promise<string>;
	/** The parts the store holds for the upload, sorted by n; UploadClosedError if it is gone. */
	listParts(blob: BlobUpload): Promise<{ n: number; size: number; etag: string }[]>;
}

/** For some ids, the `upload` handle of each that a share row still holds a blob for. */
export type LiveBlobs = (ids: string[]) => Promise<Map<string, string | null>>;

export interface BlobUpload {
	id: string;
	/** The handle `begin` returned. */
	upload: string | null;
}

/** What a store needs to find bytes in a completed blob. */
export interface BlobLayout {
	id: string;
	size: number;
	partSize: number;
}

/** For `read`: throws a RangeError unless `start … endExclusive−1` is a non-empty range of bytes inside the blob. */
export function checkReadRange(blob: BlobLayout, start: number, endExclusive: number): void {
	if (!(
		Number.isSafeInteger(start) &&
		Number.isSafeInteger(endExclusive) &&
		0 <= start &&
		start < endExclusive &&
		endExclusive <= blob.size
	)) {
		throw new RangeError(`bad range ${start}-${endExclusive} of ${blob.size}`);
	}
}

/** The part body was not exactly the expected length. */
export class PartLengthError extends Error {
	constructor(
		readonly kind: 'short' | 'long',
		readonly expected: number,
		readonly received: number
	) {
		super(`part body ${kind === 'short' ? 'ended at' : 'exceeded'} ${received} bytes, expected ${expected}`);
		this.name = 'PartLengthError';
	}
}

/** The blob is not one object a presigned URL can name: clients read it through the server. */
export class NoDirectReadError extends Error {
	constructor(id: string) {
		super(`blob ${id} is stored as part objects: it is read through the server`);
		this.name = 'NoDirectReadError';
	}
}

/** The upload no longer accepts parts (completed or deleted while the part was streaming). */
export class UploadClosedError extends Error {
	constructor(id: string) {
		super(`upload ${id} is closed`);
		this.name = 'UploadClosedError';
	}
}

/**
 * complete found stored parts that are not the listed ones; nothing was sealed. `parts`: those
 * known to differ (empty when the store cannot tell which). `lost`: the upload itself is gone
 * (completed with other bytes, or aborted) and must begin again; otherwise it still takes parts.
 */
export class PartsMismatchError extends Error {
	constructor(
		id: string,
		readonly parts: number[],
		readonly lost = false
	) {
		super(`the stored parts of upload ${id} are not the recorded ones${parts.length > 0 ? ` (parts ${parts.join(', ')})` : ''}`);
		this.name = 'PartsMismatchError';
	}
}
