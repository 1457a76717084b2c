import { readdir, readFile } from 'node:fs/promises';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import * as accountErrors from '../../server/accounts/errors';
import { renderErrorTable } from '../../server/error-docs';
import { AppError, createErrorHandler, internalError, invalidField, STATUS_OF, storageUnavailable } from '../../server/errors';
import { clientErrorResponse } from '../../server/http/client-error';
import * as httpErrors from '../../server/http/errors';
import { createLogger } from '../../server/logger';
import * as shareErrors from '../../server/shares/errors';
import { StoreUnavailableError } from '../../server/stores/errors';
import type { ApiErrorBody, ApiErrorCode } from '../../src/lib/api/types';

/** The headers an error may add; each case names the ones it must send, the others must be absent. */
const ERROR_HEADERS = ['Retry-After', 'WWW-Authenticate', 'Content-Range', 'Connection'] as const;
type ErrorHeader = (typeof ERROR_HEADERS)[number];

interface Case {
	make: () => AppError | Error;
	status: number;
	code: ApiErrorCode;
	details?: Record<string, unknown>;
	headers?: Partial<Record<ErrorHeader, string>>;
}

const retry = (seconds: number) => ({ 'Retry-After': String(seconds) });
const bearer = { 'WWW-Authenticate': 'Bearer' };
const close = { Connection: 'close' };

/** Every factory, with the answer docs/API.md promises for it. */
const CASES: Record<string, Case> = {
	invalidField: { make: () => invalidField('name', 'too long.'), status: 400, code: 'INVALID_REQUEST', details: { field: 'name' } },
	internalError: { make: internalError, status: 500, code: 'INTERNAL' },
	storageUnavailable: { make: storageUnavailable, status: 503, code: 'UNAVAILABLE', headers: retry(5) },
	// server/http/errors.ts
	invalidShareId: { make: httpErrors.invalidShareId, status: 400, code: 'INVALID_ID' },
	invalidPartNumber: { make: httpErrors.invalidPartNumber, status: 400, code: 'INVALID_PART' },
	invalidContentLength: { make: httpErrors.invalidContentLength, status: 400, code: 'INVALID_REQUEST' },
	unsupportedMediaType: { make: httpErrors.unsupportedMediaType, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
	bodyTooLarge: { make: () => httpErrors.bodyTooLarge(1024), status: 413, code: 'TOO_LARGE', details: { limit: 1024 } },
	'bodyTooLarge, mid-body': {
		make: () => httpErrors.bodyTooLarge(1024, true),
		status: 413,
		code: 'TOO_LARGE',
		details: { limit: 1024 },
		headers: close
	},
	bodyBudgetSpent: { make: () => httpErrors.bodyBudgetSpent(5), status: 503, code: 'UNAVAILABLE', headers: retry(5) },
	'bodyBudgetSpent, mid-body': {
		make: () => httpErrors.bodyBudgetSpent(5, true),
		status: 503,
		code: 'UNAVAILABLE',
		headers: { ...retry(5), ...close }
	},
	serverBusy: { make: () => httpErrors.serverBusy(5), status: 503, code: 'SERVER_BUSY', details: { retryAfter: 5 }, headers: retry(5) },
	rateLimited: {
		make: () => httpErrors.rateLimited('create', 42),
		status: 429,
		code: 'RATE_LIMITED',
		details: { retryAfter: 42 },
		headers: retry(42)
	},
	missingBearerToken: { make: httpErrors.missingBearerToken, status: 401, code: 'UNAUTHORIZED', headers: bearer },
	wrongMetricsToken: { make: httpErrors.wrongMetricsToken, status: 401, code: 'UNAUTHORIZED', headers: bearer },
	noSuchEndpoint: { make: httpErrors.noSuchEndpoint, status: 404, code: 'NOT_FOUND' },
	rangeNotSatisfiable: {
		make: () => httpErrors.rangeNotSatisfiable(4096),
		status: 416,
		code: 'RANGE_NOT_SATISFIABLE',
		headers: { 'Content-Range': 'bytes */4096' }
	},
	headersTooLarge: { make: httpErrors.headersTooLarge, status: 431, code: 'HEADERS_TOO_LARGE', headers: close },
	chunkExtensionsTooLarge: { make: httpErrors.chunkExtensionsTooLarge, status: 413, code: 'TOO_LARGE', headers: close },
	requestTimeout: { make: httpErrors.requestTimeout, status: 408, code: 'REQUEST_TIMEOUT', headers: close },
	badContentLength: { make: httpErrors.badContentLength, status: 400, code: 'INVALID_REQUEST', headers: close },
	malformedHttp: { make: httpErrors.malformedHttp, status: 400, code: 'INVALID_REQUEST', headers: close },
	// server/accounts/errors.ts
	loginRequired: { make: accountErrors.loginRequired, status: 401, code: 'LOGIN_REQUIRED', headers: bearer },
	invalidApiToken: { make: accountErrors.invalidApiToken, status: 401, code: 'LOGIN_REQUIRED', headers: bearer },
	ownerDisabled: { make: accountErrors.ownerDisabled, status: 401, code: 'LOGIN_REQUIRED' },
	loginFailed: { make: accountErrors.loginFailed, status: 401, code: 'LOGIN_FAILED' },
	accountDisabled: { make: accountErrors.accountDisabled, status: 403, code: 'ACCOUNT_DISABLED' },
	tooManyLogins: {
		make: () => accountErrors.tooManyLogins(90),
		status: 429,
		code: 'RATE_LIMITED',
		details: { retryAfter: 90 },
		headers: retry(90)
	},
	crossOrigin: { make: accountErrors.crossOrigin, status: 403, code: 'CROSS_ORIGIN' },
	tokensNeedSession: { make: accountErrors.tokensNeedSession, status: 403, code: 'FORBIDDEN' },
	tooManyTokens: { make: () => accountErrors.tooManyTokens(50), status: 400, code: 'INVALID_REQUEST' },
	noSuchApiToken: { make: accountErrors.noSuchApiToken, status: 404, code: 'NOT_FOUND' },
	byteQuotaExceeded: {
		make: () => accountErrors.byteQuotaExceeded(1000, 900, 200),
		status: 403,
		code: 'QUOTA_EXCEEDED',
		details: { quota: 'bytes', limit: 1000, used: 900, size: 200 }
	},
	shareQuotaExceeded: {
		make: () => accountErrors.shareQuotaExceeded(3, 3),
		status: 403,
		code: 'QUOTA_EXCEEDED',
		details: { quota: 'shares', limit: 3, used: 3 }
	},
	expiryNotAllowed: {
		make: () => accountErrors.expiryNotAllowed(3600),
		status: 403,
		code: 'EXPIRY_NOT_ALLOWED',
		details: { field: 'expiresIn', maxExpiry: 3600 }
	},
	// server/shares/errors.ts
	shareNotFound: { make: shareErrors.shareNotFound, status: 404, code: 'NOT_FOUND' },
	directTransfersOff: { make: shareErrors.directTransfersOff, status: 404, code: 'NOT_FOUND' },
	wrongOwnerToken: { make: shareErrors.wrongOwnerToken, status: 403, code: 'FORBIDDEN' },
	wrongReadToken: { make: shareErrors.wrongReadToken, status: 403, code: 'FORBIDDEN' },
	wrongPassword: { make: shareErrors.wrongPassword, status: 403, code: 'WRONG_PASSWORD' },
	nothingToUnlock: { make: shareErrors.nothingToUnlock, status: 400, code: 'INVALID_REQUEST', details: { field: 'password' } },
	tooManyAttempts: {
		make: () => shareErrors.tooManyAttempts(1500, 'share'),
		status: 429,
		code: 'TOO_MANY_ATTEMPTS',
		details: { retryAfter: 2, limit: 'share' },
		headers: retry(2)
	},
	notReady: { make: shareErrors.notReady, status: 409, code: 'NOT_READY' },
	notYetUploaded: {
		make: () => shareErrors.notYetUploaded(4096),
		status: 425,
		code: 'NOT_YET_UPLOADED',
		details: { received: 4096 }
	},
	uploadEnded: { make: shareErrors.uploadEnded, status: 410, code: 'UPLOAD_ABANDONED' },
	shareExpired: { make: shareErrors.shareExpired, status: 410, code: 'EXPIRED' },
	uploadAbandoned: { make: shareErrors.uploadAbandoned, status: 410, code: 'EXPIRED' },
	shareDeleted: { make: shareErrors.shareDeleted, status: 410, code: 'DELETED' },
	downloadLimitReached: { make: shareErrors.downloadLimitReached, status: 410, code: 'DOWNLOAD_LIMIT_REACHED' },
	ticketInvalid: { make: shareErrors.ticketInvalid, status: 403, code: 'TICKET_INVALID' },
	shareTooLarge: { make: () => shareErrors.shareTooLarge(10), status: 413, code: 'TOO_LARGE', details: { field: 'size', limit: 10 } },
	metadataTooLarge: {
		make: () => shareErrors.metadataTooLarge(10),
		status: 413,
		code: 'TOO_LARGE',
		details: { field: 'metadata', limit: 10 }
	},
	alreadyComplete: { make: shareErrors.alreadyComplete, status: 409, code: 'ALREADY_COMPLETE' },
	beingCompleted: {
		make: shareErrors.beingCompleted,
		status: 503,
		code: 'UNAVAILABLE',
		details: { completing: true, retryAfter: 1 },
		headers: retry(1)
	},
	shareChanged: { make: shareErrors.shareChanged, status: 503, code: 'UNAVAILABLE' },
	shuttingDown: {
		make: shareErrors.shuttingDown,
		status: 503,
		code: 'UNAVAILABLE',
		details: { retryAfter: 1 },
		headers: { ...retry(1), ...close }
	},
	partOutOfRange: { make: () => shareErrors.partOutOfRange(4), status: 400, code: 'INVALID_PART', details: { parts: 4 } },
	partTooLong: { make: () => shareErrors.partTooLong(8), status: 413, code: 'TOO_LARGE', details: { expected: 8 } },
	partTooShort: { make: () => shareErrors.partTooShort(8), status: 400, code: 'PART_SIZE_MISMATCH', details: { expected: 8 } },
	partBrokenOff: { make: () => shareErrors.partBrokenOff(8), status: 400, code: 'PART_SIZE_MISMATCH', details: { expected: 8 } },
	missingParts: { make: () => shareErrors.missingParts([1, 3], 4), status: 409, code: 'MISSING_PARTS', details: { missing: [1, 3] } },
	// What the handler makes of errors that are not AppErrors.
	'a busy store': {
		make: () => new StoreUnavailableError('meta', 'SQLITE_BUSY', { cause: new Error('database is locked') }),
		status: 503,
		code: 'UNAVAILABLE',
		headers: retry(5)
	},
	'a bug': { make: () => new TypeError('x is undefined'), status: 500, code: 'INTERNAL' },
	"Hono's 401": { make: () => new HTTPException(401), status: 401, code: 'UNAUTHORIZED', headers: bearer },
	"Hono's 413": { make: () => new HTTPException(413), status: 413, code: 'TOO_LARGE' }
};

const FACTORY_MODULES = { ...httpErrors, ...accountErrors, ...shareErrors, invalidField, internalError, storageUnavailable };

function errorApp(): Hono {
	const app = new Hono();
	app.onError(createErrorHandler(createLogger('silent')));
	app.get('/:case', (c) => {
		throw CASES[c.req.param('case')]!.make();
	});
	return app;
}

describe('error factories through the error handler', () => {
	const app = errorApp();
	const documented = renderErrorTable();

	it.each(Object.keys(CASES))('%s: the documented status, code, details and headers', async (name) => {
		const expected = CASES[name]!;
		const response = await app.request(`/${encodeURIComponent(name)}`);
		const body = (await response.json()) as ApiErrorBody;
		expect(response.status).toBe(expected.status);
		expect(body.error.code).toBe(expected.code);
		expect(documented).toContain(`| ${expected.status} | \`${expected.code}\` |`);
		expect(body.error.message).toMatch(/^\S.*\S$/);
		expect(body.error.details).toEqual(expected.details);
		for (const header of ERROR_HEADERS) expect(response.headers.get(header), header).toBe(expected.headers?.[header] ?? null);
	});

	it('covers every factory', () => {
		const tested = new Set(Object.keys(CASES));
		expect(Object.keys(FACTORY_MODULES).filter((name) => !tested.has(name))).toEqual([]);
	});

	it('a Retry-After is whole seconds, rounded up', () => {
		const error = new AppError('UNAVAILABLE', 'Soon.', undefined, { retryAfterSeconds: 0.2 });
		expect(error.headers).toEqual({ 'Retry-After': '1' });
	});
});

describe("Node's own refusals (client-error.ts)", () => {
	it.each([
		['HPE_HEADER_OVERFLOW', 'HEADERS_TOO_LARGE'],
		['HPE_CHUNK_EXTENSIONS_OVERFLOW', 'TOO_LARGE'],
		['ERR_HTTP_REQUEST_TIMEOUT', 'REQUEST_TIMEOUT'],
		['HPE_INVALID_CONTENT_LENGTH', 'INVALID_REQUEST'],
		['HPE_INVALID_METHOD', 'INVALID_REQUEST']
	] as const)('%s is %s with the status of STATUS_OF and one Connection: close', (nodeCode, code) => {
		const raw = clientErrorResponse(nodeCode, false);
		const [head = '', body = ''] = raw.split('\r\n\r\n');
		expect(head.split('\r\n')[0]).toMatch(new RegExp(`^HTTP/1\\.1 ${STATUS_OF[code]} `));
		expect((JSON.parse(body) as ApiErrorBody).error.code).toBe(code);
		expect(head.match(/^Connection: close$/gm)).toHaveLength(1);
	});
});

describe('one factory per sentence', () => {
	it('no AppError is built outside the errors.ts files', async () => {
		const root = new URL('../../server/', import.meta.url);
		const files = (await readdir(root, { recursive: true })).filter((file) => file.endsWith('.ts') && !/(^|\/)errors\.ts$/.test(file));
		const offenders: string[] = [];
		for (const file of files) if ((await readFile(new URL(file, root), 'utf8')).includes('new AppError(')) offenders.push(file);
		expect(offenders).toEqual([]);
	});
});
