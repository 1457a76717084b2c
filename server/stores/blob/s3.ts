import { Readable } from 'node:stream';
import {
	AbortMultipartUploadCommand,
	CompleteMultipartUploadCommand,
	CreateMultipartUploadCommand,
	DeleteObjectCommand,
	GetObjectCommand,
	HeadBucketCommand,
	HeadObjectCommand,
	ListMultipartUploadsCommand,
	ListObjectsV2Command,
	ListPartsCommand,
	PutObjectCommand,
	S3Client,
	UploadPartCommand,
	type S3ClientConfig
} from '@aws-sdk/client-s3';
import { createHash, createHmac, randomBytes, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { SHARE_ID_PATTERN } from '../../../src/lib/api/types';
import type { Logger } from '../../logger';
import { chunksOf, toWebStream, type ByteSource } from '../../streams';
import type { S3Config } from '../../config/stores';
import { transientErrno, translatingErrors } from '../errors';
import { errorName, httpStatus, s3StartError } from './s3-errors';
import { objectAddress } from './s3-url';
import {
	checkReadRange,
	NoDirectReadError,
	PartLengthError,
	PartsMismatchError,
	UploadClosedError,
	type BlobLayout,
	type BlobUpload,
	type DirectBlobStore,
	type LiveBlobs
} from './types';

/** Every object lives under this prefix, so lifecycle rules and policies can target Sealdrop's keys. */
export const S3_KEY_PREFIX = 'shares/';

/**
 * Downloads hold a socket for as long as the recipient reads (back-pressure), so the SDK's
 * default of 50 sockets would make the 51st concurrent download queue behind the others.
 */
const MAX_SOCKETS = 512;
/** A socket idle this long (a stalled reader or a hung store) is cut; clients resume by Range. */
const SOCKET_TIMEOUT_MS = 120_000;
const CONNECT_TIMEOUT_MS = 10_000;

export interface S3BlobStoreOptions extends S3Config {
	logger?: Logger;
	/**
	 * Begin uploads as one multipart object (the layout clients can PUT parts and GET ranges of
	 * through presigned URLs: SEALDROP_S3_DIRECT). Otherwise each part is its own object, which can
	 * be read while the share still uploads.
	 */
	multipart?: boolean;
}

/** The upload handle of a share stored as part objects starts with this (an S3 UploadId never has a colon). */
const PARTS_HANDLE = 'parts:';
/** The copy of a part `putPart` wrote (its `etag`): random, so a part sent again never overwrites one being read. */
const PART_COPY = /^[0-9a-f]{24}$/;
/** Object metadata of the seal object of a parts-layout share. */
const LAYOUT_META = 'sealdrop-layout';
const SIZE_META = 'sealdrop-size';
/**
 * Seal objects kept parsed (by key and ETag, so a rewritten one is read again), at most this many
 * part copies in all (a few MiB: a 10 000-part share alone is 10 000).
 */
const MANIFEST_CACHE_COPIES = 50_000;
/** Part objects deleted at once. */
const DELETE_CONCURRENCY = 8;

/** The body of a parts-layout share's seal object: which copy of each part is the blob. */
interface Manifest {
	size: number;
	partSize: number;
	/** The copy (etag) of part n, for every n. */
	copies: string[];
}

/**
 * Blobs in an S3-compatible bucket, in one of two layouts, told apart by the upload handle the
 * MetaStore keeps (so any instance can add a part or complete) and, once sealed, by the metadata
 * of `shares/<id>` (so any instance can read):
 *
 * - parts (the default): part n of share `id` is its own object, `shares/<id>.parts/<n>.<copy>`,
 *   written by PutObject under a fresh random `copy` (the part's etag) each time it is sent, so it
 *   can be read as soon as it is stored (streaming while uploading). `complete` checks the listed
 *   copies and writes the seal object `shares/<id>`: a small JSON manifest naming them, marked by
 *   its metadata; `read` maps a byte range onto the part objects.
 * - multipart (SEALDROP_S3_DIRECT, and shares stored before the parts layout): one object
 *   `shares/<id>`, written by a multipart upload whose parts are our parts (part n is PartNumber
 *   n+1), its UploadId the handle. An unfinished multipart upload cannot be read.
 */
export class S3BlobStore implements DirectBlobStore {
	private readonly signer: SignatureV4;

	private constructor(
		private readonly client: S3Client,
		private readonly bucket: string,
		private readonly options: S3BlobStoreOptions
	) {
		// The client's own credentials (the configured keys, or the AWS default chain).
		this.signer = new SignatureV4({
			service: 's3',
			region: options.region,
			credentials: client.config.credentials,
			sha256: NodeSha256,
			// S3 signs the path as sent, not encoded twice.
			uriEscapePath: false
		});
	}

	/** Connects and checks that the bucket answers: an unusable store fails start-up, not the first upload. */
	static async open(options: S3BlobStoreOptions): Promise<S3BlobStore> {
		// The endpoint's origin only: a URL may carry credentials, a message must not.
		const where = `bucket "${options.bucket}" at ${options.endpoint ? new URL(options.endpoint).origin : `AWS S3 (${options.region})`}`;
		const store = new S3BlobStore(new S3Client(clientConfig(options)), options.bucket, options);
		try {
			await store.ping();
		} catch (error) {
			store.close();
			throw s3StartError(error, where);
		}
		// An endpoint that refuses connections right now: StoreUnavailableError.
		return translatingErrors(store, 'blobs', transientErrno);
	}

	private key(id: string): string {
		if (!SHARE_ID_PATTERN.test(id)) throw new Error('invalid blob id');
		return S3_KEY_PREFIX + id;
	}

	private partsPrefix(id: string): string {
		return `${this.key(id)}.parts/`;
	}

	private partKey(id: string, n: number, copy: string): string {
		if (!Number.isSafeInteger(n) || n < 0 || !PART_COPY.test(copy)) throw new Error(`bad part ${n}.${copy} of blob ${id}`);
		return `${this.partsPrefix(id)}${n}.${copy}`;
	}

	async begin(id: string): Promise<string> {
		if (!this.options.multipart) {
			this.key(id); // checks the id
			return PARTS_HANDLE + randomBytes(8).toString('hex');
		}
		const result = await this.client.send(
			new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key(id), ContentType: 'application/octet-stream' })
		);
		if (!result.UploadId) throw new Error('the S3 store returned no UploadId');
		return result.UploadId;
	}

	async putPart(
		blob: BlobUpload,
		n: number,
		body: ByteSource,
		expectedLength: number,
		signal?: AbortSignal
	): Promise<{ size: number; etag?: string }> {
		const uploadId = requireUpload(blob);
		const copy = isParts(uploadId) ? randomBytes(12).toString('hex') : undefined;
		async function* exactly(): AsyncGenerator<Uint8Array> {
			let received = 0;
			for await (const chunk of chunksOf(body)) {
				signal?.throwIfAborted();
				received += chunk.byteLength;
				// Checked before yielding: S3 never sees a byte past the declared length.
				if (received > expectedLength) throw new PartLengthError('long', expectedLength, received);
				yield chunk;
			}
			// Failing before the last byte leaves the request short of its Content-Length, so the
			// store discards it: a part is never stored truncated.
			if (received < expectedLength) throw new PartLengthError('short', expectedLength, received);
		}
		// A body that fails (wrong length, client gone) must abort the request: piping alone would
		// leave it waiting for the missing bytes. Its error is what the caller sees, not the SDK's.
		const stop = new AbortController();
		let bodyError: unknown;
		const source = Readable.from(exactly(), { objectMode: false });
		source.on('error', (error) => {
			bodyError ??= error;
			stop.abort(error);
		});
		const onAbort = () => stop.abort(signal?.reason);
		signal?.addEventListener('abort', onAbort, { once: true });
		try {
			if (copy !== undefined) {
				const key = this.partKey(blob.id, n, copy);
				await this.client.send(
					new PutObjectCommand({
						Bucket: this.bucket,
						Key: key,
						ContentLength: expectedLength,
						ContentType: 'application/octet-stream',
						Body: source
					}),
					{ abortSignal: stop.signal }
				);
				// Sealed meanwhile (a part that took longer than a complete): not part of the blob.
				if ((await this.head(this.key(blob.id))) !== undefined) {
					await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
					throw new UploadClosedError(blob.id);
				}
				return { size: expectedLength, etag: copy };
			}
			const result = await this.client.send(
				new UploadPartCommand({
					Bucket: this.bucket,
					Key: this.key(blob.id),
					UploadId: uploadId,
					PartNumber: n + 1,
					ContentLength: expectedLength,
					Body: source
				}),
				{ abortSignal: stop.signal }
			);
			return { size: expectedLength, etag: result.ETag };
		} catch (error) {
			if (bodyError !== undefined) throw bodyError;
			signal?.throwIfAborted();
			if (error instanceof UploadClosedError) throw error;
			if (errorName(error) === 'NoSuchUpload') throw new UploadClosedError(blob.id);
			throw error;
		} finally {
			signal?.removeEventListener('abort', onAbort);
			source.destroy();
		}
	}

	async complete(blob: BlobUpload, parts: { n: number; size: number; etag?: string | null }[]): Promise<void> {
		const uploadId = requireUpload(blob);
		const sorted = [...parts].sort((a, b) => a.n - b.n);
		if (isParts(uploadId)) return this.seal(blob.id, sorted);
		const listed = sorted.map((part) => {
			if (!part.etag) throw new Error(`part ${part.n} of ${blob.id} has no ETag recorded (uploaded to another blob store?)`);
			return { PartNumber: part.n + 1, ETag: part.etag };
		});
		try {
			await this.client.send(
				new CompleteMultipartUploadCommand({
					Bucket: this.bucket,
					Key: this.key(blob.id),
					UploadId: uploadId,
					MultipartUpload: { Parts: listed }
				})
			);
		} catch (error) {
			// Completed already (a retry, or another instance got there first): S3 has forgotten the
			// UploadId, but the object is there, whole.
			const total = sorted.reduce((sum, part) => sum + part.size, 0);
			if ((await this.size(blob.id)) === total) return;
			// A listed ETag is not the stored part's (replaced after the list was read): S3 sealed
			// nothing and the upload still takes parts. Which part, S3 does not say.
			if (['InvalidPart', 'InvalidPartOrder'].includes(errorName(error) ?? '')) throw new PartsMismatchError(blob.id, []);
			// The upload is gone and no whole object stands for it: it must begin again.
			if (errorName(error) === 'NoSuchUpload')
				throw new PartsMismatchError(
					blob.id,
					sorted.map((part) => part.n),
					true
				);
			throw error;
		}
	}

	/**
	 * Parts layout: checks that every listed copy is stored with its size, then writes the seal
	 * object naming them (rewriting it the same on a retry) and removes the copies it does not name
	 * (parts sent again). Once the seal is written, putPart refuses parts, as S3 refuses parts of a
	 * completed multipart upload.
	 */
	private async seal(id: string, parts: { n: number; size: number; etag?: string | null }[]): Promise<void> {
		const stored = new Map((await this.listPartObjects(id)).map((object) => [object.key, object.size]));
		const differ = parts.filter(
			(part) => !part.etag || !PART_COPY.test(part.etag) || stored.get(this.partKey(id, part.n, part.etag)) !== part.size
		);
		if (differ.length > 0 || parts.some((part, i) => part.n !== i))
			throw new PartsMismatchError(
				id,
				differ.map((part) => part.n)
			);
		const manifest: Manifest = {
			size: parts.reduce((sum, part) => sum + part.size, 0),
			partSize: parts[0]?.size ?? 0,
			copies: parts.map((part) => part.etag as string)
		};
		await this.client.send(
			new PutObjectCommand({
				Bucket: this.bucket,
				Key: this.key(id),
				ContentType: 'application/json',
				Metadata: { [LAYOUT_META]: 'parts', [SIZE_META]: String(manifest.size) },
				Body: JSON.stringify(manifest)
			})
		);
		// Listed again now that the seal is there: a part that lands later finds it and removes
		// itself, so no copy outside the seal outlives this. Best effort: a leftover copy is only
		// storage, removed with the share.
		const named = new Set(parts.map((part) => this.partKey(id, part.n, part.etag as string)));
		try {
			await this.deleteKeys((await this.listPartObjects(id)).map((object) => object.key).filter((key) => !named.has(key)));
		} catch (error) {
			this.options.logger?.warn({ err: error, shareId: id }, 'could not remove replaced part copies');
		}
	}

	/** The part objects of share `id` (every copy), by key. */
	private async listPartObjects(id: string): Promise<{ key: string; size: number }[]> {
		const objects: { key: string; size: number }[] = [];
		let token: string | undefined;
		do {
			const page = await this.client.send(
				new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.partsPrefix(id), ContinuationToken: token })
			);
			for (const object of page.Contents ?? []) if (object.Key) objects.push({ key: object.Key, size: object.Size ?? 0 });
			token = page.IsTruncated ? page.NextContinuationToken : undefined;
		} while (token);
		return objects;
	}

	private async deleteKeys(keys: string[]): Promise<void> {
		const queue = [...keys];
		const worker = async () => {
			for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
				await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
			}
		};
		await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, queue.length) }, worker));
	}

	/** HEAD of an object: its size, ETag and metadata, or undefined if there is none. */
	private async head(key: string): Promise<{ size: number; etag: string; metadata: Record<string, string> } | undefined> {
		try {
			const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
			return { size: head.ContentLength ?? 0, etag: head.ETag ?? '', metadata: head.Metadata ?? {} };
		} catch (error) {
			if (httpStatus(error) === 404) return undefined;
			throw error;
		}
	}

	private readonly manifests = new Map<string, Manifest>();
	private manifestCopies = 0;

	/** The manifest of a sealed parts-layout share (from its seal object, whose HEAD is `head`). */
	private async manifest(id: string, head: { etag: string }): Promise<Manifest> {
		const cacheKey = `${id} ${head.etag}`;
		const cached = this.manifests.get(cacheKey);
		if (cached) return cached;
		const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(id) }));
		const manifest = JSON.parse((await result.Body?.transformToString()) ?? '') as Manifest;
		if (!(manifest.partSize > 0 || manifest.size === 0) || !Array.isArray(manifest.copies))
			throw new Error(`the seal object of blob ${id} is not a manifest`);
		if (this.manifests.has(cacheKey)) return manifest; // another read cached it meanwhile
		// Oldest first out, until this one fits.
		for (const [key, old] of this.manifests) {
			if (this.manifestCopies + manifest.copies.length <= MANIFEST_CACHE_COPIES) break;
			this.manifests.delete(key);
			this.manifestCopies -= old.copies.length;
		}
		this.manifests.set(cacheKey, manifest);
		this.manifestCopies += manifest.copies.length;
		return manifest;
	}

	async read(blob: BlobLayout, start: number, endExclusive: number): Promise<ReadableStream<Uint8Array>> {
		checkReadRange(blob, start, endExclusive);
		const key = this.key(blob.id);
		// The existence check answers before any byte (a missing blob is an error response, not a
		// broken stream). The GETs wait for the first pull: a response whose body is never read
		// (HEAD drops it without cancelling) then holds no connection to the store.
		const head = await this.head(key);
		if (head === undefined) throw Object.assign(new Error(`no object for blob ${blob.id}`), { code: 'ENOENT' });
		const size = sizeOf(head);
		if (size < endExclusive) throw new Error(`the object for blob ${blob.id} has ${size} bytes, not ${blob.size}`);
		if (head.metadata[LAYOUT_META] === 'parts') {
			const { partSize, copies } = await this.manifest(blob.id, head);
			const pieces: { key: string; start: number; endExclusive: number }[] = [];
			for (let n = Math.floor(start / partSize); n * partSize < endExclusive; n++) {
				const from = n * partSize;
				pieces.push({
					key: this.partKey(blob.id, n, copies[n] ?? ''),
					start: Math.max(start, from) - from,
					endExclusive: Math.min(endExclusive, from + partSize) - from
				});
			}
			const range = this.range.bind(this);
			return toWebStream(
				(async function* () {
					for (const piece of pieces) yield* range(piece.key, piece.start, piece.endExclusive);
				})()
			);
		}
		// Pulled one chunk at a time: a slow reader pauses the socket instead of filling memory.
		return toWebStream(this.range(key, start, endExclusive));
	}

	readsUpload(upload: string | null): boolean {
		return upload !== null && isParts(upload);
	}

	async readUploadingPart(
		id: string,
		n: number,
		etag: string | null,
		start: number,
		endExclusive: number
	): Promise<ReadableStream<Uint8Array>> {
		// A copy recorded by a multipart upload (begun before this version, or in direct mode) cannot be read.
		if (etag === null || !PART_COPY.test(etag)) throw new Error(`part ${n} of blob ${id} is in an unfinished multipart upload`);
		const key = this.partKey(id, n, etag);
		if ((await this.head(key)) !== undefined) return toWebStream(this.range(key, start, endExclusive));
		// Sealed meanwhile, and this copy was replaced: the sealed blob's bytes.
		const head = await this.head(this.key(id));
		if (head?.metadata[LAYOUT_META] !== 'parts') throw Object.assign(new Error(`no part ${n} of blob ${id}`), { code: 'ENOENT' });
		const { size, partSize } = await this.manifest(id, head);
		return this.read({ id, size, partSize }, n * partSize + start, n * partSize + endExclusive);
	}

	/** Bytes `start … endExclusive−1` of one object, by a ranged GET sent at the first pull. */
	private async *range(key: string, start: number, endExclusive: number): AsyncGenerator<Uint8Array> {
		const result = await this.client.send(
			new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${endExclusive - 1}` })
		);
		const body = result.Body;
		if (!(body instanceof Readable)) throw new Error('the S3 client returned no Node stream');
		// Some stores answer more than asked (s3rver reads `bytes=0-0` as "from 0"; others ignore
		// Range and send the whole object): cut exactly our bytes out of what came.
		const from = result.ContentRange === undefined ? 0 : Number(/^bytes (\d+)-/.exec(result.ContentRange)?.[1]);
		if (!(from <= start)) {
			body.destroy();
			throw new Error(`the S3 store answered range ${result.ContentRange} for bytes ${start}-${endExclusive - 1}`);
		}
		yield* slice(body, start - from, endExclusive - start);
	}

	async delete(blob: BlobUpload): Promise<void> {
		const key = this.key(blob.id);
		if (blob.upload !== null && isParts(blob.upload)) {
			// The seal first: a part still being sent then finds no seal and stays an orphan, which
			// collectOrphans removes; readers fail before their first byte.
			await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
			await this.deleteKeys((await this.listPartObjects(blob.id)).map((object) => object.key));
			return;
		}
		if (blob.upload !== null) {
			try {
				await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: blob.upload }));
			} catch (error) {
				// Gone already (completed or aborted), or a store without Abort (s3rver): the bucket's
				// AbortIncompleteMultipartUpload lifecycle rule collects those parts (docs/SELF-HOSTING.md).
				if (![404, 405, 501].includes(httpStatus(error) ?? 0)) throw error;
			}
		}
		// S3 answers 204 whether or not the object exists: deleting twice is fine.
		await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
	}

	async size(id: string): Promise<number | undefined> {
		const head = await this.head(this.key(id));
		return head && sizeOf(head);
	}

	async presignPart(blob: BlobUpload, n: number, length: number, expiresIn: number, now: number): Promise<string> {
		const uploadId = requireMultipart(blob);
		// Content-Length is a signed header: S3 refuses a body of any other length (its answer: 403).
		return this.presign('PUT', blob.id, { partNumber: String(n + 1), uploadId }, { 'content-length': String(length) }, expiresIn, now);
	}

	async presignRead(id: string, expiresIn: number, now: number): Promise<string> {
		// A parts-layout share (begun with SEALDROP_S3_DIRECT off) is not one object a URL can name.
		const head = await this.head(this.key(id));
		if (head?.metadata[LAYOUT_META] === 'parts') throw new NoDirectReadError(id);
		return this.presign('GET', id, {}, {}, expiresIn, now);
	}

	async listParts(blob: BlobUpload): Promise<{ n: number; size: number; etag: string }[]> {
		const uploadId = requireMultipart(blob);
		const parts: { n: number; size: number; etag: string }[] = [];
		let marker: string | undefined;
		do {
			let page;
			try {
				page = await this.client.send(
					new ListPartsCommand({ Bucket: this.bucket, Key: this.key(blob.id), UploadId: uploadId, PartNumberMarker: marker })
				);
			} catch (error) {
				if (errorName(error) === 'NoSuchUpload') throw new UploadClosedError(blob.id);
				throw error;
			}
			for (const part of page.Parts ?? []) {
				if (part.PartNumber === undefined || part.Size === undefined || !part.ETag) continue;
				parts.push({ n: part.PartNumber - 1, size: part.Size, etag: part.ETag });
			}
			marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
		} while (marker);
		return parts.sort((a, b) => a.n - b.n);
	}

	/** A SigV4 query-string-signed URL for one request on the object of `id` (as the AWS presigner makes it). */
	private async presign(
		method: 'GET' | 'PUT',
		id: string,
		query: Record<string, string>,
		headers: Record<string, string>,
		expiresIn: number,
		now: number
	): Promise<string> {
		if (!Number.isSafeInteger(expiresIn) || expiresIn < 1) throw new RangeError(`bad URL lifetime ${expiresIn}`);
		const { protocol, hostname, port, host, path } = objectAddress({ ...this.options, bucket: this.bucket }, this.key(id));
		const signed = await this.signer.presign(
			{
				method,
				protocol,
				hostname,
				port,
				path,
				query,
				// S3 presigned URLs leave the payload unsigned (the AWS presigner does the same).
				headers: { ...headers, host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }
			},
			{ expiresIn, signingDate: new Date(now) }
		);
		const search = Object.entries(signed.query ?? {})
			.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
			.join('&');
		return `${protocol}//${host}${path}?${search}`;
	}

	async collectOrphans(before: number, live: LiveBlobs): Promise<number> {
		const { client, bucket } = this;
		let removed = 0;
		// Completed objects, a page (at most 1000) at a time.
		let token: string | undefined;
		do {
			const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: S3_KEY_PREFIX, ContinuationToken: token }));
			// Seal or single objects (`shares/<id>`) and part objects (`shares/<id>.parts/…`).
			const old = (page.Contents ?? [])
				.filter((object) => object.LastModified !== undefined && object.LastModified.getTime() < before)
				.map((object) => ({
					key: object.Key ?? '',
					id: /^([^./]+)(?:\.parts\/\d+\.[0-9a-f]{24})?$/.exec((object.Key ?? '').slice(S3_KEY_PREFIX.length))?.[1] ?? ''
				}))
				.filter(({ id }) => SHARE_ID_PATTERN.test(id));
			if (old.length > 0) {
				const known = await live([...new Set(old.map(({ id }) => id))]);
				const orphans = old.filter(({ id }) => !known.has(id));
				await this.deleteKeys(orphans.map(({ key }) => key));
				removed += new Set(orphans.map(({ id }) => id)).size;
			}
			token = page.IsTruncated ? page.NextContinuationToken : undefined;
		} while (token);

		// Unfinished multipart uploads whose UploadId no row holds. Not every store lists them (s3rver
		// answers 501): there the bucket's AbortIncompleteMultipartUpload rule is what collects them.
		let keyMarker: string | undefined;
		let uploadIdMarker: string | undefined;
		for (;;) {
			let page;
			try {
				page = await client.send(
					new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: S3_KEY_PREFIX, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker })
				);
			} catch (error) {
				if ([400, 404, 405, 501].includes(httpStatus(error) ?? 0)) return removed;
				throw error;
			}
			const old = (page.Uploads ?? [])
				.filter((upload) => upload.Initiated !== undefined && upload.Initiated.getTime() < before && upload.UploadId)
				.map((upload) => ({ id: (upload.Key ?? '').slice(S3_KEY_PREFIX.length), upload: upload.UploadId as string }))
				.filter(({ id }) => SHARE_ID_PATTERN.test(id));
			if (old.length > 0) {
				const known = await live([...new Set(old.map(({ id }) => id))]);
				for (const { id, upload } of old) {
					if (known.get(id) === upload) continue;
					try {
						await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: this.key(id), UploadId: upload }));
						removed++;
					} catch (error) {
						if (![404, 405, 501].includes(httpStatus(error) ?? 0)) throw error;
					}
				}
			}
			if (!page.IsTruncated) return removed;
			keyMarker = page.NextKeyMarker;
			uploadIdMarker = page.NextUploadIdMarker;
		}
	}

	async ping(): Promise<void> {
		await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
	}

	close(): void {
		this.client.destroy();
	}
}

/** SHA-256 (and HMAC-SHA-256 with a secret) for the signer, from node:crypto. */
class NodeSha256 {
	private hash: Hash | Hmac;
	constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
		this.hash = this.fresh();
	}
	private fresh(): Hash | Hmac {
		if (this.secret === undefined) return createHash('sha256');
		const key =
			typeof this.secret === 'string'
				? this.secret
				: Buffer.from(
						ArrayBuffer.isView(this.secret)
							? this.secret.buffer.slice(this.secret.byteOffset, this.secret.byteOffset + this.secret.byteLength)
							: this.secret
					);
		return createHmac('sha256', key);
	}
	update(data: string | ArrayBuffer | ArrayBufferView): void {
		this.hash.update(
			typeof data === 'string'
				? data
				: ArrayBuffer.isView(data)
					? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
					: new Uint8Array(data)
		);
	}
	digest(): Promise<Uint8Array> {
		return Promise.resolve(new Uint8Array(this.hash.digest()));
	}
	reset(): void {
		this.hash = this.fresh();
	}
}

function clientConfig(options: S3BlobStoreOptions): S3ClientConfig {
	const logger = options.logger;
	return {
		endpoint: options.endpoint,
		region: options.region,
		forcePathStyle: options.forcePathStyle,
		credentials: options.credentials && {
			accessKeyId: options.credentials.accessKeyId,
			secretAccessKey: options.credentials.secretAccessKey.reveal()
		},
		// The SDK's default checksums frame streamed bodies as aws-chunked, which MinIO-, Ceph- and
		// s3rver-style stores store verbatim (corrupting the object). Ask for them only when required.
		requestChecksumCalculation: 'WHEN_REQUIRED',
		responseChecksumValidation: 'WHEN_REQUIRED',
		requestHandler: {
			connectionTimeout: CONNECT_TIMEOUT_MS,
			socketTimeout: SOCKET_TIMEOUT_MS,
			httpAgent: { maxSockets: MAX_SOCKETS },
			httpsAgent: { maxSockets: MAX_SOCKETS }
		},
		// The SDK's own warnings go to our JSON log instead of the console; its request traces do not.
		logger: {
			trace: () => {},
			debug: () => {},
			info: () => {},
			warn: (...args: unknown[]) =>
				logger?.warn({ store: 's3' }, args.filter((arg) => typeof arg === 'string').join(' ') || 'S3 client warning'),
			// Every failed command lands here, expected ones too (a 405 on abort): the store handles
			// or rethrows each, and whoever catches it logs it. Keep a trace at debug level.
			error: (entry: unknown) => {
				const { commandName, metadata } = (entry ?? {}) as { commandName?: unknown; metadata?: { httpStatusCode?: unknown } };
				logger?.debug({ store: 's3', command: String(commandName), status: metadata?.httpStatusCode }, 'S3 command failed');
			}
		}
	};
}

/** Bytes `skip … skip+take−1` of a stream; stops reading (and closes the source) after them. */
async function* slice(source: AsyncIterable<Uint8Array>, skip: number, take: number): AsyncGenerator<Uint8Array> {
	let toSkip = skip;
	let left = take;
	for await (const chunk of source) {
		let piece = chunk;
		if (toSkip > 0) {
			const dropped = Math.min(toSkip, piece.byteLength);
			piece = piece.subarray(dropped);
			toSkip -= dropped;
		}
		if (piece.byteLength === 0) continue;
		if (piece.byteLength >= left) {
			yield piece.subarray(0, left);
			return;
		}
		left -= piece.byteLength;
		yield piece;
	}
	throw new Error(`the S3 object ended ${left} bytes early`);
}

function isParts(upload: string): boolean {
	return upload.startsWith(PARTS_HANDLE);
}

/** The size of the blob whose `shares/<id>` object has this HEAD: the seal's recorded size, or the object's. */
function sizeOf(head: { size: number; metadata: Record<string, string> }): number {
	return head.metadata[LAYOUT_META] === 'parts' ? Number(head.metadata[SIZE_META]) : head.size;
}

function requireMultipart(blob: BlobUpload): string {
	const upload = requireUpload(blob);
	if (isParts(upload))
		throw new Error(`share ${blob.id} is stored as part objects (begun with SEALDROP_S3_DIRECT off): its parts go through the server`);
	return upload;
}

function requireUpload(blob: BlobUpload): string {
	if (blob.upload === null) throw new Error(`share ${blob.id} has no multipart upload (created with another blob store?)`);
	return blob.upload;
}
