import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import type { ApiErrorBody, ApiErrorCode } from '../src/lib/api/types';
import { StoreUnavailableError } from './stores/errors';

/** THE map from error code to HTTP status (docs/API.md, "Errors"). */
export const STATUS_OF: Record<ApiErrorCode, ContentfulStatusCode> = {
	INVALID_ID: 400,
	INVALID_REQUEST: 400,
	INVALID_PART: 400,
	PART_SIZE_MISMATCH: 400,
	UNAUTHORIZED: 401,
	LOGIN_REQUIRED: 401,
	LOGIN_FAILED: 401,
	FORBIDDEN: 403,
	WRONG_PASSWORD: 403,
	ACCOUNT_DISABLED: 403,
	CROSS_ORIGIN: 403,
	QUOTA_EXCEEDED: 403,
	EXPIRY_NOT_ALLOWED: 403,
	TICKET_INVALID: 403,
	NOT_FOUND: 404,
	NOT_READY: 409,
	NOT_YET_UPLOADED: 425,
	UPLOAD_ABANDONED: 410,
	ALREADY_COMPLETE: 409,
	MISSING_PARTS: 409,
	EXPIRED: 410,
	DELETED: 410,
	DOWNLOAD_LIMIT_REACHED: 410,
	REQUEST_CLOSED: 410,
	REQUEST_FULL: 409,
	REQUEST_TIMEOUT: 408,
	TOO_LARGE: 413,
	UNSUPPORTED_MEDIA_TYPE: 415,
	RANGE_NOT_SATISFIABLE: 416,
	TOO_MANY_ATTEMPTS: 429,
	RATE_LIMITED: 429,
	HEADERS_TOO_LARGE: 431,
	INTERNAL: 500,
	UNAVAILABLE: 503,
	SERVER_BUSY: 503
};

/**
 * What a client reads in the error table of docs/API.md, per code: when the server answers it.
 * The table is generated from this (`npm run docs:errors`; tests/server/error-docs.test.ts fails
 * when API.md drifts), so a new code needs a status above and a sentence here to compile.
 */
export const ERROR_DOCS: Record<ApiErrorCode, string> = {
	INVALID_ID: 'the id in the path is not a well-formed share id',
	INVALID_REQUEST: 'a body, header or parameter failed validation (the message names it)',
	INVALID_PART: 'the part number is not an integer in `0 … parts−1`',
	PART_SIZE_MISMATCH: "a part's body (or its `Content-Length`) is shorter than the part",
	UNAUTHORIZED: 'the `Authorization` header is missing or not a bearer token; the metrics token is wrong',
	LOGIN_REQUIRED:
		'restricted mode: creating a share (or an account endpoint) without a valid session or API token; an API token that was revoked or whose account is disabled',
	LOGIN_FAILED: 'wrong user name or password (the same answer for both)',
	FORBIDDEN:
		"the owner or read token is wrong; token management tried with an API token instead of a login session; a submission's owner token used to change its expiry or limit",
	WRONG_PASSWORD:
		'the unlock token of a password share is wrong: the password is wrong (counted by the attempt limit, like a wrong read token)',
	ACCOUNT_DISABLED: 'a correct password for an account the administrator disabled',
	CROSS_ORIGIN: 'a state-changing request authenticated by the session cookie (or a login) that did not come from a page of this server',
	QUOTA_EXCEEDED:
		"the share would pass the account's byte or share quota; a submission would pass the quota of the account that made the file request",
	EXPIRY_NOT_ALLOWED: "`expiresIn` (create or update) above the account's longest expiry",
	TICKET_INVALID: 'the ticket is unknown, expired, or for another share',
	NOT_FOUND:
		'no share or file request has this id (never existed, or purged), or that submission is not one of this request; no such API token; no such endpoint under `/api/`',
	NOT_READY: 'the share is still being uploaded, and this server cannot serve it before it is complete (`streamable: false`)',
	NOT_YET_UPLOADED:
		'a blob read of a share still uploading waited (about 25 s) for a part that has not arrived yet; retry at once (`details.received` says how many bytes have)',
	UPLOAD_ABANDONED:
		'a blob read of a share whose upload ended before it was complete: the uploader deleted it, or went silent past `SEALDROP_ABANDON_AFTER`',
	ALREADY_COMPLETE: 'parts or complete sent to a share that is already complete',
	MISSING_PARTS: 'complete sent before every part arrived (`details.missing` lists them)',
	EXPIRED: 'the share expired; the file request expired (its submissions with it)',
	DELETED: 'the owner deleted the share',
	DOWNLOAD_LIMIT_REACHED: 'every download has been claimed',
	REQUEST_CLOSED: 'a submission to a file request its owner closed',
	REQUEST_FULL: 'a submission to a file request that has counted all its `maxSubmissions`',
	REQUEST_TIMEOUT:
		'the request headers did not arrive within `SEALDROP_HEADERS_TIMEOUT` (answered by the HTTP server itself, then the connection is closed)',
	TOO_LARGE:
		"declared size above `maxShareBytes` (or a file request's `maxSubmissionBytes`), metadata above `maxMetadataBytes`, a part body longer than the part, or a JSON body above its endpoint's limit",
	UNSUPPORTED_MEDIA_TYPE: 'a JSON endpoint received another content type',
	RANGE_NOT_SATISFIABLE: 'a `Range` outside the blob, or more than one range',
	TOO_MANY_ATTEMPTS:
		'too many wrong read or unlock tokens lately from this client, or for this password share (unlock, metadata, claim); `Retry-After` says when to try again',
	RATE_LIMITED:
		'this client created shares or file requests, submitted files or claimed downloads more often than the server allows (`SEALDROP_RATE_LIMIT_*`); `Retry-After` says when to try again',
	HEADERS_TOO_LARGE:
		"the request headers are larger than Node's limit (16 KiB); answered by the HTTP server itself, then the connection is closed",
	INTERNAL: 'a bug or a storage failure; the message says nothing more (the server logs it)',
	UNAVAILABLE:
		'storage is unreachable or busy, this instance is already buffering as many create bodies as it allows, a complete of this share is under way, or this instance is shutting down (a blob read waiting for a part); retry later (`Retry-After` says when)',
	SERVER_BUSY:
		'this server instance is receiving as many part uploads as it allows (`SEALDROP_MAX_CONCURRENT_UPLOADS`), or as many from this client (`SEALDROP_MAX_UPLOADS_PER_CLIENT`); nothing was read or stored, send the part again after `Retry-After` seconds'
};

/**
 * What an error tells the client besides its body. The response headers are derived from it in
 * one place ({@link AppError.headers}), so no factory writes a header by hand.
 */
export interface AppErrorInfo {
	/** Seconds after which a retry may succeed: `Retry-After`. */
	retryAfterSeconds?: number;
	/** The scheme a 401 asks for: `WWW-Authenticate`. */
	authenticate?: 'Bearer';
	/** The request body was left unread, so the connection cannot carry another request: `Connection: close`. */
	closeConnection?: boolean;
	/** The size of the resource a range missed: `Content-Range: bytes *\/size` (RFC 9110 §15.5.17). */
	rangeOf?: number;
}

/**
 * An error the client caused or must know about; its message is shown to the client. Build it
 * with its feature's factory (server/shares/errors.ts, server/accounts/errors.ts,
 * server/http/errors.ts), which is the one place its sentence is written.
 */
export class AppError extends Error {
	constructor(
		readonly code: ApiErrorCode,
		message: string,
		readonly details?: Record<string, unknown>,
		readonly info: AppErrorInfo = {}
	) {
		super(message);
		this.name = 'AppError';
	}

	get status(): ContentfulStatusCode {
		return STATUS_OF[this.code];
	}

	/** The response headers this error's answer carries, or undefined for none. */
	get headers(): Record<string, string> | undefined {
		const { retryAfterSeconds, authenticate, closeConnection, rangeOf } = this.info;
		const headers: Record<string, string> = {};
		if (retryAfterSeconds !== undefined) headers['Retry-After'] = String(Math.max(0, Math.ceil(retryAfterSeconds)));
		if (authenticate !== undefined) headers['WWW-Authenticate'] = authenticate;
		if (rangeOf !== undefined) headers['Content-Range'] = `bytes */${rangeOf}`;
		if (closeConnection) headers.Connection = 'close';
		return Object.keys(headers).length > 0 ? headers : undefined;
	}
}

export function errorResponse(c: Context, error: AppError): Response {
	const body: ApiErrorBody = { error: { code: error.code, message: error.message } };
	if (error.details) body.error.details = error.details;
	return c.json(body, error.status, error.headers);
}

/** A body, header or parameter that failed validation; the message starts with its name. */
export const invalidField = (field: string, message: string): AppError =>
	new AppError('INVALID_REQUEST', `${field}: ${message}`, { field });

/** A bug, or a failure the client cannot act on: nothing more is said (the server logs it). */
export const internalError = (): AppError => new AppError('INTERNAL', 'Internal server error.');

/** Seconds a client is told to wait when storage is busy or unreachable. */
const STORAGE_RETRY_AFTER_S = 5;

/** Storage that is busy or full: the client should retry later, nothing is broken. */
export const storageUnavailable = (): AppError =>
	new AppError('UNAVAILABLE', 'Storage is temporarily unavailable; retry later.', undefined, {
		retryAfterSeconds: STORAGE_RETRY_AFTER_S
	});

/** Hono's own exceptions (malformed requests it rejects itself) in our vocabulary. */
function fromHttpException(error: HTTPException): AppError {
	if (error.status === 413) return new AppError('TOO_LARGE', 'The request body is too large.');
	if (error.status === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type.');
	if (error.status === 401) return new AppError('UNAUTHORIZED', 'Authorization required.', undefined, { authenticate: 'Bearer' });
	if (error.status < 500) return new AppError('INVALID_REQUEST', 'The request is malformed.');
	return internalError();
}

/**
 * Renders every thrown error as `{error:{code,message,details?}}`. Unknown errors become a
 * generic 500 and are logged with their stack, the method and the route pattern only (never the
 * request's headers or body, which carry tokens and ciphertext).
 */
export function createErrorHandler(logger: Logger): ErrorHandler {
	return (error, c) => {
		if (error instanceof AppError) return errorResponse(c, error);
		if (error instanceof HTTPException && error.status < 500) return errorResponse(c, fromHttpException(error));
		const where = { method: c.req.method, route: c.req.routePath };
		// The stores translate their backends' codes (SQLITE_BUSY, SQLSTATE, errno) into this one type.
		if (error instanceof StoreUnavailableError) {
			logger.warn({ err: error, ...where }, 'storage unavailable');
			return errorResponse(c, storageUnavailable());
		}
		logger.error({ err: error, ...where }, 'unhandled error');
		return errorResponse(c, internalError());
	};
}
