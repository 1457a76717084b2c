/**
 * The wire contract of the HTTP API (docs/API.md), shared by the server, the browser and tests.
 * Binary values are base64url strings; times are epoch milliseconds; durations are seconds.
 */

/** Stable machine codes of API errors. The HTTP status for each lives in server/errors.ts. */
export const API_ERROR_CODES = [
	'INVALID_ID',
	'INVALID_REQUEST',
	'INVALID_PART',
	'PART_SIZE_MISMATCH',
	'UNAUTHORIZED',
	'LOGIN_REQUIRED',
	'LOGIN_FAILED',
	'FORBIDDEN',
	'WRONG_PASSWORD',
	'ACCOUNT_DISABLED',
	'CROSS_ORIGIN',
	'QUOTA_EXCEEDED',
	'EXPIRY_NOT_ALLOWED',
	'TICKET_INVALID',
	'NOT_FOUND',
	'NOT_READY',
	'NOT_YET_UPLOADED',
	'UPLOAD_ABANDONED',
	'ALREADY_COMPLETE',
	'MISSING_PARTS',
	'EXPIRED',
	'DELETED',
	'DOWNLOAD_LIMIT_REACHED',
	'REQUEST_CLOSED',
	'REQUEST_FULL',
	'REQUEST_TIMEOUT',
	'TOO_LARGE',
	'UNSUPPORTED_MEDIA_TYPE',
	'RANGE_NOT_SATISFIABLE',
	'TOO_MANY_ATTEMPTS',
	'RATE_LIMITED',
	'HEADERS_TOO_LARGE',
	'INTERNAL',
	'UNAVAILABLE',
	'SERVER_BUSY'
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export interface ApiErrorBody {
	error: { code: ApiErrorCode; message: string; details?: Record<string, unknown> };
}

/** A share id: 16 random bytes, base64url. */
export const SHARE_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export interface ServerConfig {
	version: 1;
	maxShareBytes: number;
	maxMetadataBytes: number;
	partSize: { min: number; max: number; preferred: number };
	/** Most parts one share may have (S3 allows 10 000). */
	maxParts: number;
	expiry: { options: number[]; default: number };
	downloads: { options: number[]; default: number };
	/** `restricted`: creating a share needs a login session or an API token (GET /me). */
	uploadAccess: 'open' | 'restricted';
	/**
	 * SEALDROP_PUBLIC_URL: the origin links are made for, or null when the server is reached at
	 * its own address. A client talking to an internal address prints links with this one.
	 */
	publicUrl: string | null;
	/**
	 * SEALDROP_S3_DIRECT: parts are PUT to, and ranges read from, the S3 bucket itself with the
	 * presigned URLs of POST /shares/:id/parts/:n/upload-url and POST /shares/:id/blob-url.
	 */
	directTransfers: boolean;
	/**
	 * Recipients can open and download a share while it is still uploading (the filesystem blob
	 * store; not S3): the sender's link is worth passing on as soon as the share exists.
	 */
	streaming?: boolean;
}

export interface CreateShareRequest {
	size: number;
	partSize: number;
	expiresIn: number;
	maxDownloads: number;
	header: string;
	metadata: string;
	readTokenHash: string;
	ownerTokenHash: string;
	/** Required iff the header is format v2 with a password (FORMAT.md §3); refused otherwise. */
	password?: PasswordShareFields;
}

/** What the server holds for a v2 password share: W, KC and SHA-256(U), base64url, 32 bytes each. */
export interface PasswordShareFields {
	keyShare: string;
	keyCommitment: string;
	unlockTokenHash: string;
}

/** POST /shares/:id/unlock with the right unlock token: the key share and its commitment. */
export interface UnlockResponse {
	keyShare: string;
	keyCommitment: string;
}

export interface CreateShareResponse {
	id: string;
	parts: number;
	uploadExpiresAt: number;
}

export interface PartResponse {
	n: number;
	size: number;
}

export interface PartsStatus {
	parts: number;
	received: number[];
	complete: boolean;
	/** While uploading: the share is swept if no part arrives before then. Absent once complete. */
	uploadExpiresAt?: number;
}

/** A presigned URL to the bucket (direct transfers): usable until `expiresAt`, for `size` bytes. */
export interface DirectUrlResponse {
	url: string;
	/** Unix ms; the URL is refused after this (it may be a little earlier: S3 signs whole seconds). */
	expiresAt: number;
	/** The part's exact length (upload: the only Content-Length the URL accepts) or the blob's size. */
	size: number;
}

export interface CompleteResponse {
	id: string;
	expiresAt: number;
	maxDownloads: number;
}

export interface PublicShareInfo {
	id: string;
	size: number;
	header: string;
	createdAt: number;
	expiresAt: number;
	maxDownloads: number;
	downloads: number;
	downloadsLeft: number;
	/**
	 * `uploading`: the sender is still uploading (FORMAT.md §streaming). A recipient can open and
	 * claim it now if `streamable`; its blob reads wait for parts not yet received.
	 */
	state?: 'ready' | 'uploading';
	/** While uploading: whether this server serves the parts before the upload is complete. */
	streamable?: boolean;
	/** While uploading: ciphertext bytes received so far (whole parts), of `size`. */
	received?: number;
	/** While uploading: when the uploader was last heard from (its last part, or the share's creation). */
	uploaderSeenAt?: number;
}

/** PATCH /shares/:id (owner token): at least one field. */
export interface UpdateShareRequest {
	/** One of `expiry.options`: the share now expires this many seconds from now. */
	expiresIn?: number;
	/** One of `downloads.options`, not below the downloads already used. */
	maxDownloads?: number;
}

export interface UpdateShareResponse {
	id: string;
	expiresAt: number;
	maxDownloads: number;
	downloads: number;
	downloadsLeft: number;
}

export interface MetadataResponse {
	metadata: string;
}

export interface ClaimResponse {
	ticket: string;
	ticketExpiresAt: number;
	downloads: number;
	downloadsLeft: number;
	/**
	 * The public header and the sealed metadata (base64url), as public info and GET metadata
	 * give them: the last claim of a share leaves both answering 410, so a client that claims
	 * first, or resumes later with its ticket, still has what it needs to decrypt.
	 */
	header: string;
	metadata: string;
}

/** POST /login (restricted upload mode). */
export interface LoginRequest {
	name: string;
	password: string;
}

/** GET /me: who is logged in, with the account's limits (null: none) and what it uses. */
export interface AccountInfo {
	name: string;
	/** How this request was authenticated. */
	via: 'session' | 'token';
	limits: { quotaBytes: number | null; quotaShares: number | null; maxExpiry: number | null };
	/** Live (uploading or ready) shares of the account. */
	usage: { bytes: number; shares: number };
}

export interface LoginResponse {
	account: AccountInfo;
	sessionExpiresAt: number;
}

export interface ApiTokenInfo {
	id: string;
	name: string;
	createdAt: number;
	lastUsedAt: number | null;
}

export interface CreateApiTokenRequest {
	/** A label for the owner, e.g. "backup script". */
	name: string;
}

/** The token itself is shown once, here; the server keeps only its SHA-256. */
export interface CreatedApiToken extends ApiTokenInfo {
	token: string;
}

// File requests (docs/API.md, "File requests"; FORMAT.md §11). Bytes are base64url.

/** POST /requests. */
export interface CreateRequestRequest {
	/** SHA-256 of the request's owner token (32 random bytes the requester keeps). */
	ownerTokenHash: string;
	/** R: the requester's P-256 public key, raw uncompressed, 65 bytes. */
	publicKey: string;
	/** K(rs, "request-key", R), 32 bytes. */
	keyTag: string;
	/** nonce ‖ AES-GCM of the title and message, padded (FORMAT.md §11.3). */
	sealedInfo: string;
	/** One of `expiry.options`: the request and its submissions end this many seconds from now. */
	expiresIn: number;
	/** 1 … `requests.maxSubmissions`. */
	maxSubmissions: number;
	/** Ciphertext bytes one submission may have: 1 … `maxShareBytes`. */
	maxSubmissionBytes: number;
}

export type RequestState = 'open' | 'closed' | 'expired';

/** GET /requests/:id (no token): what a submitter needs, and the requester's live counts. */
export interface PublicRequestInfo {
	id: string;
	state: RequestState;
	publicKey: string;
	keyTag: string;
	sealedInfo: string;
	createdAt: number;
	expiresAt: number;
	maxSubmissions: number;
	maxSubmissionBytes: number;
	submissions: number;
	submissionsLeft: number;
}

/** POST /requests/:id/submissions: a share's create fields without expiresIn and maxDownloads, plus E. */
export interface CreateSubmissionRequest {
	size: number;
	partSize: number;
	header: string;
	metadata: string;
	readTokenHash: string;
	ownerTokenHash: string;
	/** E: the submission's ephemeral P-256 public key, raw uncompressed, 65 bytes. */
	ephemeralKey: string;
}

/** A submission as GET /requests/:id/submissions lists it (request owner token). */
export interface SubmissionInfo {
	id: string;
	/** uploading: not complete yet; ready: readable as a share. */
	state: 'uploading' | 'ready';
	size: number;
	header: string;
	ephemeralKey: string;
	createdAt: number;
	/** Null while uploading. */
	completedAt: number | null;
	expiresAt: number | null;
	downloads: number;
	maxDownloads: number;
}

export interface SubmissionList {
	submissions: SubmissionInfo[];
}
