import { ApiError, toClientError, type ApiClient, type RequestOptions } from './client';
import type { DirectUrlResponse } from './types';

/*
 * Direct transfers (API.md): parts and blob ranges sent to or read from the bucket with presigned
 * URLs. ApiClient's putPartDirect and blobDirect load this module on first use.
 */

/** See ApiClient.putPartDirect. */
export async function putPartDirect(
	api: ApiClient,
	id: string,
	n: number,
	body: Blob | Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>,
	ownerToken: string,
	opts?: RequestOptions
): Promise<void> {
	let slot: DirectUrlResponse;
	try {
		slot = await api.partUploadUrl(id, n, ownerToken, opts);
	} catch (err) {
		// No URL for this upload (begun before direct transfers were on): the part goes through
		// the server, which also gives the real answer if the share itself is gone.
		if (!(err instanceof ApiError && err.code === 'NOT_FOUND')) throw err;
		await api.putPart(id, n, body, ownerToken, opts);
		return;
	}
	// The URL's signature pins Content-Length. A browser sets it from a Blob; Node's fetch
	// would send a stream chunked, so the length goes along (browsers never pass a stream).
	const headers: Record<string, string> = body instanceof ReadableStream ? { 'Content-Length': String(slot.size) } : {};
	const res = await bucketFetch(api, slot.url, { method: 'PUT', body, headers, signal: opts?.signal });
	await res.body?.cancel().catch(() => {});
}

/** See ApiClient.blobDirect. */
export async function blobDirect(
	api: ApiClient,
	id: string,
	ticket: string,
	start: number,
	endExclusive: number,
	opts?: RequestOptions
): Promise<Response> {
	const key = `${api.origin} ${id} ${ticket}`;
	if (proxiedBlobs.has(key)) return api.blob(id, ticket, start, endExclusive, opts);
	for (let attempt = 0; ; attempt++) {
		let cached = blobUrls.get(key);
		if (!cached || Date.now() - cached.at > BLOB_URL_REUSE_MS) {
			let url: string;
			try {
				url = (await api.blobUrl(id, ticket, opts)).url;
			} catch (err) {
				// No URL for this share (stored before direct transfers were on): read it through
				// the server, which also gives the real answer if the share itself is gone.
				if (!(err instanceof ApiError && err.code === 'NOT_FOUND')) throw err;
				proxiedBlobs.add(key);
				return api.blob(id, ticket, start, endExclusive, opts);
			}
			cached = { url, at: Date.now() };
			for (const [other, entry] of blobUrls) if (cached.at - entry.at > BLOB_URL_REUSE_MS) blobUrls.delete(other);
			blobUrls.set(key, cached);
		}
		try {
			const res = await bucketFetch(api, cached.url, {
				method: 'GET',
				headers: { Range: `bytes=${start}-${endExclusive - 1}` },
				signal: opts?.signal
			});
			return exactRange(res, start, endExclusive);
		} catch (err) {
			blobUrls.delete(key);
			// Expired (or refused) URL: a new one, once; the server says if the ticket is still good.
			if (attempt === 0 && err instanceof ApiError && err.status === 403) continue;
			throw err;
		}
	}
}

/** A request to the bucket: no cookies, no referrer; its refusals become ApiErrors. */
async function bucketFetch(
	api: ApiClient,
	url: string,
	init: { method: string; body?: BodyInit; headers: Record<string, string>; signal?: AbortSignal }
): Promise<Response> {
	let res: Response;
	try {
		res = await api.fetchImpl(url, {
			...init,
			cache: 'no-store',
			credentials: 'omit',
			referrerPolicy: 'no-referrer',
			...(init.body instanceof ReadableStream && { duplex: 'half' })
		} as RequestInit);
	} catch (err) {
		throw toClientError(err, init.signal, 'Cannot reach the storage. Check your connection and try again.');
	}
	if (res.ok) return res;
	await res.body?.cancel().catch(() => {});
	// The bucket's answers are S3 XML, not ours: a server error is worth a retry, a refusal is not.
	if (res.status >= 500) {
		throw new ApiError(
			'UNAVAILABLE',
			'The storage is temporarily unavailable. Try again in a moment.',
			res.status,
			undefined,
			res.headers.get('retry-after') ?? undefined
		);
	}
	throw new ApiError('BAD_RESPONSE', `The storage answered ${res.status} unexpectedly.`, res.status);
}

/** Presigned blob URLs by origin, share and ticket (in memory only; a ticket is a secret). */
const blobUrls = new Map<string, { url: string; at: number }>();
/** Shares (by origin, id and ticket) that blob-url answered NOT_FOUND for: read through the server. */
const proxiedBlobs = new Set<string>();
const BLOB_URL_REUSE_MS = 60_000;

/**
 * Exactly bytes [start, end) of a ranged answer: some stores send more than asked (the whole
 * object, or from `start` on), which would feed the decryptor bytes it did not ask for.
 */
function exactRange(res: Response, start: number, end: number): Response {
	const range = res.headers.get('content-range');
	// A 200 is the whole object; a 206 whose Content-Range the bucket's CORS rule hides is the asked range.
	const from = res.status !== 206 ? 0 : range ? Number(/^bytes (\d+)-/.exec(range)?.[1]) : start;
	if (!(from <= start) || !res.body) throw new ApiError('BAD_RESPONSE', 'The storage sent another range than asked.');
	let skip = start - from;
	let left = end - start;
	const cut = new TransformStream<Uint8Array, Uint8Array>({
		transform(chunk, controller) {
			let piece = chunk;
			if (skip > 0) {
				const dropped = Math.min(skip, piece.byteLength);
				piece = piece.subarray(dropped);
				skip -= dropped;
			}
			if (left <= 0 || piece.byteLength === 0) return;
			if (piece.byteLength > left) piece = piece.subarray(0, left);
			left -= piece.byteLength;
			controller.enqueue(piece);
			if (left === 0) controller.terminate();
		},
		flush() {
			if (left > 0) throw new ApiError('NETWORK', 'The connection broke during the download.');
		}
	});
	return new Response(res.body.pipeThrough(cut), { status: 206 });
}
