import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import type { ApiErrorBody, ApiErrorCode } from '../src/lib/api/types';

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
	ACCOUNT_DISABLED: 403,
	CROSS_ORIGIN: 403,
	QUOTA_EXCEEDED: 403,
	EXPIRY_NOT_ALLOWED: 403,
	TICKET_INVALID: 403,
	NOT_FOUND: 404,
	NOT_READY: 409,
	ALREADY_COMPLETE: 409,
	MISSING_PARTS: 409,
	EXPIRED: 410,
	DELETED: 410,
	DOWNLOAD_LIMIT_REACHED: 410,
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

/** An error the client caused or must know about; its message is shown to the client. */
export class AppError extends Error {
	constructor(
		readonly code: ApiErrorCode,
		message: string,
		readonly details?: Record<string, unknown>,
		/** Extra response headers (WWW-Authenticate, Content-Range, Retry-After). */
		readonly headers?: Record<string, string>
	) {
		super(message);
		this.name = 'AppError';
	}

	get status(): ContentfulStatusCode {
		return STATUS_OF[this.code];
	}
}

export function errorResponse(c: Context, error: AppError): Response {
	const body: ApiErrorBody = { error: { code: error.code, message: error.message } };
	if (error.details) body.error.details = error.details;
	return c.json(body, error.status, error.headers);
}

/** Hono's own exceptions (malformed requests it rejects itself) in our vocabulary. */
function fromHttpException(error: HTTPException): AppError {
	if (error.status === 413) return new AppError('TOO_LARGE', 'The request body is too large.');
	if (error.status === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type.');
	if (error.status === 401) return new AppError('UNAUTHORIZED', 'Authorization required.');
	if (error.status < 500) return new AppError('INVALID_REQUEST', 'The request is malformed.');
	return new AppError('INTERNAL', 'Internal server error.');
}

/** Storage that is busy or full: the client should retry later, nothing is broken. */
const TRANSIENT_CODES = new Set([
	'SQLITE_BUSY',
	'SQLITE_BUSY_SNAPSHOT',
	'SQLITE_LOCKED',
	'ENOSPC',
	'EMFILE',
	'ENFILE',
	'EAGAIN',
	// PostgreSQL: serialization failure, deadlock, lock timeout, too many connections, shutting down.
	'40001',
	'40P01',
	'55P03',
	'53300',
	'57P01',
	'57P03',
	// A database or object store that cannot be reached right now.
	'ECONNREFUSED'
]);

function errorCode(error: unknown): string | undefined {
	const code = (error as { code?: unknown } | null)?.code;
	return typeof code === 'string' ? code : undefined;
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
		const code = errorCode(error);
		if (code !== undefined && TRANSIENT_CODES.has(code)) {
			logger.warn({ err: error, ...where }, 'storage unavailable');
			return errorResponse(
				c,
				new AppError('UNAVAILABLE', 'Storage is temporarily unavailable; retry later.', undefined, { 'Retry-After': '5' })
			);
		}
		logger.error({ err: error, ...where }, 'unhandled error');
		return errorResponse(c, new AppError('INTERNAL', 'Internal server error.'));
	};
}
