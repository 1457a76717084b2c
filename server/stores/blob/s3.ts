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
	S3Client,
	UploadPartCommand,
	type S3ClientConfig
} from '@aws-sdk/client-s3';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
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
}

/**
 * Blobs in an S3-compatible bucket, one object per share (`shares/<id>`), written by a multipart
 * upload whose parts are our parts (part n is PartNumber n+1). The UploadId returned by `begin`
 * is stored in the MetaStore, so any instance can add a part or complete the upload.
 */
export class S3BlobStore implements DirectBlobStore {
	private readonly signer: SignatureV4;

	private constructor(
		private readonly client: S3Client,
		private readonly bucket: string,
		private readonly options: S3Config
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

	async begin(id: string): Promise<string> {
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

	async read(blob: BlobLayout, start: number, endExclusive: number): Promise<ReadableStream<Uint8Array>> {
		checkReadRange(blob, start, endExclusive);
		const key = this.key(blob.id);
		// The existence check answers before any byte (a missing blob is an error response, not a
		// broken stream). The GET waits for the first pull: a response whose body is never read
		// (HEAD drops it without cancelling) then holds no connection to the store.
		const size = await this.size(blob.id);
		if (size === undefined) throw Object.assign(new Error(`no object for blob ${blob.id}`), { code: 'ENOENT' });
		if (size < endExclusive) throw new Error(`the object for blob ${blob.id} has ${size} bytes, not ${blob.size}`);
		const { client, bucket } = this;
		async function* bytes(): AsyncGenerator<Uint8Array> {
			const result = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${endExclusive - 1}` }));
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
		// Pulled one chunk at a time: a slow reader pauses the socket instead of filling memory.
		return toWebStream(bytes());
	}

	async delete(blob: BlobUpload): Promise<void> {
		const key = this.key(blob.id);
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
		try {
			const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(id) }));
			return head.ContentLength;
		} catch (error) {
			if (httpStatus(error) === 404) return undefined;
			throw error;
		}
	}

	presignPart(blob: BlobUpload, n: number, length: number, expiresIn: number, now: number): Promise<string> {
		const uploadId = requireUpload(blob);
		// Content-Length is a signed header: S3 refuses a body of any other length (its answer: 403).
		return this.presign('PUT', blob.id, { partNumber: String(n + 1), uploadId }, { 'content-length': String(length) }, expiresIn, now);
	}

	presignRead(id: string, expiresIn: number, now: number): Promise<string> {
		return this.presign('GET', id, {}, {}, expiresIn, now);
	}

	async listParts(blob: BlobUpload): Promise<{ n: number; size: number; etag: string }[]> {
		const uploadId = requireUpload(blob);
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
			const old = (page.Contents ?? [])
				.filter((object) => object.LastModified !== undefined && object.LastModified.getTime() < before)
				.map((object) => (object.Key ?? '').slice(S3_KEY_PREFIX.length))
				.filter((id) => SHARE_ID_PATTERN.test(id));
			if (old.length > 0) {
				const known = await live(old);
				for (const id of old.filter((id) => !known.has(id))) {
					await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: this.key(id) }));
					removed++;
				}
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

function requireUpload(blob: BlobUpload): string {
	if (blob.upload === null) throw new Error(`share ${blob.id} has no multipart upload (created with another blob store?)`);
	return blob.upload;
}
