import type {
	AccountInfo,
	ApiErrorBody,
	ApiTokenInfo,
	CreatedApiToken,
	LoginResponse,
	ApiErrorCode,
	ClaimResponse,
	CompleteResponse,
	CreateShareRequest,
	CreateShareResponse,
	DirectUrlResponse,
	MetadataResponse,
	PartResponse,
	PartsStatus,
	PublicShareInfo,
	ServerConfig,
	UnlockResponse,
	UpdateShareRequest,
	UpdateShareResponse,
	CreateRequestRequest,
	CreateSubmissionRequest,
	PublicRequestInfo,
	SubmissionInfo,
	SubmissionList
} from './types';

/** Failures that happen on the client side of a request, next to the server's own codes. */
export type ClientErrorCode = 'NETWORK' | 'BAD_RESPONSE' | 'ABORTED';

export class ApiError extends Error {
	constructor(
		readonly code: ApiErrorCode | ClientErrorCode,
		message: string,
		readonly status = 0,
		readonly details?: Record<string, unknown>,
		/** The response's `Retry-After` header, as sent (seconds or an HTTP-date); see transfer/retry.ts. */
		readonly retryAfter?: string
	) {
		super(message);
		this.name = 'ApiError';
	}

	/** Worth retrying: the network dropped or the server was briefly unable to answer. */
	get transient(): boolean {
		return this.code === 'NETWORK' || this.code === 'UNAVAILABLE' || this.status === 502 || this.status === 504;
	}
}

export interface RequestOptions {
	signal?: AbortSignal;
}

/** The reference client of docs/API.md; used by the browser, the tests and the benchmark. */
export class ApiClient {
	private readonly base: string;
	/** Absolute origin, so that a worker can build the same client. */
	readonly origin: string;

	constructor(
		origin = globalThis.location?.origin ?? '',
		/** The fetch this client uses (direct.ts sends the bucket's requests with it too). */
		readonly fetchImpl: typeof fetch = (...args) => globalThis.fetch(...args)
	) {
		this.origin = origin.replace(/\/$/, '');
		this.base = `${this.origin}/api/v1`;
	}

	config(opts?: RequestOptions): Promise<ServerConfig> {
		return this.json('GET', '/config', opts);
	}

	createShare(body: CreateShareRequest, opts?: RequestOptions): Promise<CreateShareResponse> {
		return this.json('POST', '/shares', { ...opts, body });
	}

	/** Uploads one part (a few MiB of ciphertext); a stream body (Node) is sent as it is produced. */
	putPart(
		id: string,
		n: number,
		body: Blob | Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>,
		ownerToken: string,
		opts?: RequestOptions
	): Promise<PartResponse> {
		return this.json('PUT', `/shares/${id}/parts/${n}`, { ...opts, token: ownerToken, raw: body });
	}

	/** Direct transfers: a presigned URL to PUT part `n` straight into the bucket (owner token). */
	partUploadUrl(id: string, n: number, ownerToken: string, opts?: RequestOptions): Promise<DirectUrlResponse> {
		return this.json('POST', `/shares/${id}/parts/${n}/upload-url`, { ...opts, token: ownerToken });
	}

	/**
	 * Direct transfers: uploads one part to the bucket with a fresh presigned URL. Fails like
	 * putPart (NETWORK, UNAVAILABLE: retry; ABORTED), so the engine's retries work unchanged.
	 * The bucket's code (direct.ts) loads on first use: most pages never talk to a bucket.
	 */
	async putPartDirect(
		id: string,
		n: number,
		body: Blob | Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>,
		ownerToken: string,
		opts?: RequestOptions
	): Promise<void> {
		return (await import('./direct')).putPartDirect(this, id, n, body, ownerToken, opts);
	}

	/** Direct transfers: a presigned URL for ranged GETs of the blob, living no longer than the ticket. */
	blobUrl(id: string, ticket: string, opts?: RequestOptions): Promise<DirectUrlResponse> {
		return this.json('POST', `/shares/${id}/blob-url`, { ...opts, token: ticket });
	}

	/**
	 * Direct transfers: bytes [start, endExclusive) of a ready share, read from the bucket. The URL
	 * is asked for once per ticket and reused (at most a minute, or until the bucket refuses it).
	 * The body is exactly the asked bytes, whatever range the store answered.
	 */
	async blobDirect(id: string, ticket: string, start: number, endExclusive: number, opts?: RequestOptions): Promise<Response> {
		return (await import('./direct')).blobDirect(this, id, ticket, start, endExclusive, opts);
	}

	listParts(id: string, ownerToken: string, opts?: RequestOptions): Promise<PartsStatus> {
		return this.json('GET', `/shares/${id}/parts`, { ...opts, token: ownerToken });
	}

	complete(id: string, ownerToken: string, opts?: RequestOptions): Promise<CompleteResponse> {
		return this.json('POST', `/shares/${id}/complete`, { ...opts, token: ownerToken });
	}

	info(id: string, opts?: RequestOptions): Promise<PublicShareInfo> {
		return this.json('GET', `/shares/${id}`, opts);
	}

	metadata(id: string, readToken: string, opts?: RequestOptions): Promise<MetadataResponse> {
		return this.json('GET', `/shares/${id}/metadata`, { ...opts, token: readToken });
	}

	/** A v2 password share's key share, for the right unlock token (FORMAT.md §3); 403 WRONG_PASSWORD otherwise. */
	unlock(id: string, unlockToken: string, opts?: RequestOptions): Promise<UnlockResponse> {
		return this.json('POST', `/shares/${id}/unlock`, { ...opts, token: unlockToken });
	}

	claim(id: string, readToken: string, opts?: RequestOptions): Promise<ClaimResponse> {
		return this.json('POST', `/shares/${id}/claim`, { ...opts, token: readToken });
	}

	async deleteShare(id: string, ownerToken: string, opts?: RequestOptions): Promise<void> {
		await this.send('DELETE', `/shares/${id}`, { ...opts, token: ownerToken });
	}

	/** Extends the expiry or changes the download limit of a ready share (owner token). */
	updateShare(id: string, ownerToken: string, body: UpdateShareRequest, opts?: RequestOptions): Promise<UpdateShareResponse> {
		return this.json('PATCH', `/shares/${id}`, { ...opts, token: ownerToken, body });
	}

	// File requests (API.md "File requests"): a submission is then uploaded and read as a share.
	createRequest(body: CreateRequestRequest, opts?: RequestOptions): Promise<PublicRequestInfo> {
		return this.json('POST', '/requests', { ...opts, body });
	}

	requestInfo(id: string, opts?: RequestOptions): Promise<PublicRequestInfo> {
		return this.json('GET', `/requests/${id}`, opts);
	}

	createSubmission(requestId: string, body: CreateSubmissionRequest, opts?: RequestOptions): Promise<CreateShareResponse> {
		return this.json('POST', `/requests/${requestId}/submissions`, { ...opts, body });
	}

	async listSubmissions(requestId: string, ownerToken: string, opts?: RequestOptions): Promise<SubmissionInfo[]> {
		return (await this.json<SubmissionList>('GET', `/requests/${requestId}/submissions`, { ...opts, token: ownerToken })).submissions;
	}

	closeRequest(requestId: string, ownerToken: string, opts?: RequestOptions): Promise<PublicRequestInfo> {
		return this.json('POST', `/requests/${requestId}/close`, { ...opts, token: ownerToken });
	}

	async deleteSubmission(requestId: string, submissionId: string, ownerToken: string, opts?: RequestOptions): Promise<void> {
		await this.send('DELETE', `/requests/${requestId}/submissions/${submissionId}`, { ...opts, token: ownerToken });
	}

	// Accounts (restricted upload mode): the session is an HttpOnly cookie the browser keeps.
	login(name: string, password: string, opts?: RequestOptions): Promise<LoginResponse> {
		return this.json('POST', '/login', { ...opts, body: { name, password } });
	}

	async logout(opts?: RequestOptions): Promise<void> {
		await this.send('POST', '/logout', opts);
	}

	/** Who is logged in; LOGIN_REQUIRED if nobody. */
	me(opts?: RequestOptions): Promise<AccountInfo> {
		return this.json('GET', '/me', opts);
	}

	async listTokens(opts?: RequestOptions): Promise<ApiTokenInfo[]> {
		return (await this.json<{ tokens: ApiTokenInfo[] }>('GET', '/tokens', opts)).tokens;
	}

	createToken(name: string, opts?: RequestOptions): Promise<CreatedApiToken> {
		return this.json('POST', '/tokens', { ...opts, body: { name } });
	}

	async revokeToken(id: string, opts?: RequestOptions): Promise<void> {
		await this.send('DELETE', `/tokens/${encodeURIComponent(id)}`, opts);
	}

	/** Ciphertext bytes [start, endExclusive) of a ready share; the caller reads the body as a stream. */
	async blob(id: string, ticket: string, start: number, endExclusive: number, opts?: RequestOptions): Promise<Response> {
		return this.send('GET', `/shares/${id}/blob`, {
			...opts,
			token: ticket,
			headers: { Range: `bytes=${start}-${endExclusive - 1}` }
		});
	}

	private async json<T>(method: string, path: string, opts: SendOptions = {}): Promise<T> {
		const res = await this.send(method, path, opts);
		try {
			return (await res.json()) as T;
		} catch (err) {
			throw toClientError(err, opts.signal, 'The server sent an unreadable answer.');
		}
	}

	private async send(method: string, path: string, opts: SendOptions = {}): Promise<Response> {
		const headers: Record<string, string> = { ...opts.headers };
		if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
		let body: BodyInit | undefined;
		if (opts.raw) {
			body = opts.raw;
			headers['Content-Type'] = 'application/octet-stream';
		} else if (opts.body !== undefined) {
			body = JSON.stringify(opts.body);
			headers['Content-Type'] = 'application/json';
		}
		let res: Response;
		try {
			res = await this.fetchImpl(this.base + path, {
				method,
				headers,
				body,
				signal: opts.signal,
				cache: 'no-store',
				credentials: 'same-origin',
				referrerPolicy: 'no-referrer',
				// Required by fetch for a stream body (sent by Node; browsers never pass one here).
				...(body instanceof ReadableStream && { duplex: 'half' })
			} as RequestInit);
		} catch (err) {
			throw toClientError(err, opts.signal, 'Cannot reach the server. Check your connection and try again.');
		}
		if (!res.ok) throw await errorFromResponse(res);
		return res;
	}
}

interface SendOptions extends RequestOptions {
	token?: string;
	body?: unknown;
	raw?: Blob | Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>;
	headers?: Record<string, string>;
}

export function toClientError(err: unknown, signal: AbortSignal | undefined, message: string): ApiError {
	if (signal?.aborted) return new ApiError('ABORTED', 'Cancelled.');
	if (err instanceof ApiError) return err;
	return new ApiError(message.startsWith('Cannot') ? 'NETWORK' : 'BAD_RESPONSE', message);
}

async function errorFromResponse(res: Response): Promise<ApiError> {
	const retryAfter = res.headers.get('retry-after') ?? undefined;
	try {
		const body = (await res.json()) as Partial<ApiErrorBody>;
		if (body.error?.code) return new ApiError(body.error.code, body.error.message, res.status, body.error.details, retryAfter);
	} catch {
		// Not our JSON: a proxy or load balancer answered.
	}
	if (res.status === 502 || res.status === 503 || res.status === 504) {
		return new ApiError('UNAVAILABLE', 'The server is temporarily unavailable. Try again in a moment.', res.status, undefined, retryAfter);
	}
	return new ApiError('BAD_RESPONSE', `The server answered ${res.status} unexpectedly.`, res.status, undefined, retryAfter);
}
