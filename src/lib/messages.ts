import { ApiError, type ClientErrorCode as RequestErrorCode } from './api/client';
import type { ApiErrorCode } from './api/types';
import type { Failure } from './controllers/failure';
import { CryptoError, type CryptoErrorCode } from './crypto/errors';
import type { SaveErrorCode } from './save/save-errors';
import { formatDuration } from './format';
import { m } from './paraglide/messages.js';

/**
 * The error catalogue: the sentence for each code. The first views load it only when they show a
 * failure (lazy-problem.svelte.ts); their other wording is in page-text.ts.
 */

/** What the page tells a person when something fails: one sentence, then what to do. */
export interface Problem {
	code: string;
	message: string;
}

/**
 * The codes the browser raises itself, with no server answer behind them: a request that failed
 * on this side (api/client.ts) and the app's own errors (passwords, files, previews, saving).
 */
export type ClientErrorCode =
	| RequestErrorCode
	| 'PASSWORD_REQUIRED'
	| 'WRONG_PASSWORD'
	| 'PASSWORD_LOCKED'
	| 'CLIENT_LOCKED'
	| 'NOTHING_TO_SEND'
	| 'NOT_SAME_FILES'
	| 'REQUEST_NOT_FOUND'
	| 'REQUEST_EXPIRED'
	| 'SUBMISSION_TOO_LARGE'
	| 'FILE_UNREADABLE'
	| 'FOLDER_EMPTY'
	| 'ENTRY_UNREADABLE'
	| 'STORAGE_UNAVAILABLE'
	| 'PREVIEW_UNSUPPORTED'
	| 'PDF_UNREADABLE'
	| 'PDF_ENCRYPTED'
	| 'SAVE_UNSUPPORTED'
	| 'SAVE_INTERRUPTED'
	| SaveErrorCode
	| 'INSECURE_CONTEXT'
	| 'KEY_FILE_NO_REQUEST';

/** Every code a person can be shown. A code added to one of these unions without a sentence below does not compile. */
export type MessageCode = ApiErrorCode | CryptoErrorCode | ClientErrorCode;

/**
 * The sentence for each code, in the current language: messages/{locale}.json, compiled by Paraglide
 * into one typed function per key. A code without an `error_<CODE>` key in messages/en.json does not
 * compile here; a key missing from another language fails tests/unit/i18n.test.ts. Listed one by one,
 * not `= m`: using the whole catalogue object put every message of every page into the first page's
 * JavaScript; named uses let the bundler keep only the messages each page uses.
 */
const MESSAGES = {
	error_NOT_FOUND: m.error_NOT_FOUND,
	error_INVALID_ID: m.error_INVALID_ID,
	error_EXPIRED: m.error_EXPIRED,
	error_DELETED: m.error_DELETED,
	error_DOWNLOAD_LIMIT_REACHED: m.error_DOWNLOAD_LIMIT_REACHED,
	error_NOT_READY: m.error_NOT_READY,
	error_NOT_YET_UPLOADED: m.error_NOT_YET_UPLOADED,
	error_UPLOAD_ABANDONED: m.error_UPLOAD_ABANDONED,
	error_TICKET_INVALID: m.error_TICKET_INVALID,
	error_RANGE_NOT_SATISFIABLE: m.error_RANGE_NOT_SATISFIABLE,
	error_FORBIDDEN: m.error_FORBIDDEN,
	error_BAD_SECRET: m.error_BAD_SECRET,
	error_WRONG_KEY: m.error_WRONG_KEY,
	error_WRONG_PASSWORD: m.error_WRONG_PASSWORD,
	error_PASSWORD_REQUIRED: m.error_PASSWORD_REQUIRED,
	error_PASSWORD_LOCKED: m.error_PASSWORD_LOCKED,
	error_CLIENT_LOCKED: m.error_CLIENT_LOCKED,
	error_TOO_MANY_ATTEMPTS: m.error_TOO_MANY_ATTEMPTS,
	error_RATE_LIMITED: m.error_RATE_LIMITED,
	error_TAMPERED: m.error_TAMPERED,
	error_TRUNCATED: m.error_TRUNCATED,
	error_TRAILING_DATA: m.error_TRAILING_DATA,
	error_BAD_SIZE: m.error_BAD_SIZE,
	error_BAD_HEADER: m.error_BAD_HEADER,
	error_KDF_TOO_COSTLY: m.error_KDF_TOO_COSTLY,
	error_UNSUPPORTED_VERSION: m.error_UNSUPPORTED_VERSION,
	error_BAD_METADATA: m.error_BAD_METADATA,
	error_NOTHING_TO_SEND: m.error_NOTHING_TO_SEND,
	error_TOO_LARGE: m.error_TOO_LARGE,
	error_INVALID_REQUEST: m.error_INVALID_REQUEST,
	error_MISSING_PARTS: m.error_MISSING_PARTS,
	error_INVALID_PART: m.error_INVALID_PART,
	error_PART_SIZE_MISMATCH: m.error_PART_SIZE_MISMATCH,
	error_ALREADY_COMPLETE: m.error_ALREADY_COMPLETE,
	error_FILE_UNREADABLE: m.error_FILE_UNREADABLE,
	error_FOLDER_EMPTY: m.error_FOLDER_EMPTY,
	error_ENTRY_UNREADABLE: m.error_ENTRY_UNREADABLE,
	error_NOT_SAME_FILES: m.error_NOT_SAME_FILES,
	error_LOGIN_REQUIRED: m.error_LOGIN_REQUIRED,
	error_LOGIN_FAILED: m.error_LOGIN_FAILED,
	error_ACCOUNT_DISABLED: m.error_ACCOUNT_DISABLED,
	error_CROSS_ORIGIN: m.error_CROSS_ORIGIN,
	error_QUOTA_EXCEEDED: m.error_QUOTA_EXCEEDED,
	error_EXPIRY_NOT_ALLOWED: m.error_EXPIRY_NOT_ALLOWED,
	error_NETWORK: m.error_NETWORK,
	error_UNAVAILABLE: m.error_UNAVAILABLE,
	error_SERVER_BUSY: m.error_SERVER_BUSY,
	error_ABORTED: m.error_ABORTED,
	error_INTERNAL: m.error_INTERNAL,
	error_BAD_RESPONSE: m.error_BAD_RESPONSE,
	error_UNAUTHORIZED: m.error_UNAUTHORIZED,
	error_UNSUPPORTED_MEDIA_TYPE: m.error_UNSUPPORTED_MEDIA_TYPE,
	error_REQUEST_TIMEOUT: m.error_REQUEST_TIMEOUT,
	error_HEADERS_TOO_LARGE: m.error_HEADERS_TOO_LARGE,
	error_STORAGE_UNAVAILABLE: m.error_STORAGE_UNAVAILABLE,
	error_PREVIEW_UNSUPPORTED: m.error_PREVIEW_UNSUPPORTED,
	error_PDF_UNREADABLE: m.error_PDF_UNREADABLE,
	error_PDF_ENCRYPTED: m.error_PDF_ENCRYPTED,
	error_SAVE_UNSUPPORTED: m.error_SAVE_UNSUPPORTED,
	error_SAVE_INTERRUPTED: m.error_SAVE_INTERRUPTED,
	error_DISK_FULL: m.error_DISK_FULL,
	error_SAVE_DENIED: m.error_SAVE_DENIED,
	error_SAVE_FAILED: m.error_SAVE_FAILED,
	error_REQUEST_CLOSED: m.error_REQUEST_CLOSED,
	error_REQUEST_FULL: m.error_REQUEST_FULL,
	error_REQUEST_KEY_MISMATCH: m.error_REQUEST_KEY_MISMATCH,
	error_REQUEST_NOT_FOUND: m.error_REQUEST_NOT_FOUND,
	error_REQUEST_EXPIRED: m.error_REQUEST_EXPIRED,
	error_SUBMISSION_TOO_LARGE: m.error_SUBMISSION_TOO_LARGE,
	error_BAD_PUBLIC_KEY: m.error_BAD_PUBLIC_KEY,
	error_BAD_REQUEST_INFO: m.error_BAD_REQUEST_INFO,
	error_BAD_KEY_FILE: m.error_BAD_KEY_FILE,
	error_WRONG_PASSPHRASE: m.error_WRONG_PASSPHRASE,
	error_INSECURE_CONTEXT: m.error_INSECURE_CONTEXT,
	error_KEY_FILE_NO_REQUEST: m.error_KEY_FILE_NO_REQUEST
} satisfies Record<`error_${MessageCode}`, () => string>;

/** Sentences that name the file or folder concerned, for errors that carry its `path`. */
const NAMED: Partial<Record<MessageCode, (path: string) => string>> = {
	FOLDER_EMPTY: (path) => m.error_FOLDER_EMPTY_named({ path }),
	ENTRY_UNREADABLE: (path) => m.error_ENTRY_UNREADABLE_named({ path })
};

/** Sentences that say how long to wait, for errors that carry `retryAfterSeconds`. */
const TIMED: Partial<Record<MessageCode, (seconds: number) => string>> = {
	PASSWORD_LOCKED: (seconds) => m.error_PASSWORD_LOCKED_wait({ time: formatDuration(seconds) }),
	CLIENT_LOCKED: (seconds) => m.error_CLIENT_LOCKED_wait({ time: formatDuration(seconds) })
};

/** The table's sentence for a code, or undefined for one it does not know (say, from a newer server). */
function messageOf(code: string): string | undefined {
	const key = `error_${code}`;
	return Object.hasOwn(MESSAGES, key) ? MESSAGES[key as keyof typeof MESSAGES]() : undefined;
}

/** A Problem for a known code, with the table's wording. */
export function problem(code: string): Problem {
	return { code, message: messageOf(code) ?? code };
}

export function describeError(err: unknown): Problem {
	if (err instanceof ApiError || err instanceof CryptoError || hasCode(err)) {
		const path = (err as { path?: unknown }).path;
		const named = typeof path === 'string' && path !== '' ? NAMED[err.code as MessageCode]?.(path) : undefined;
		const seconds = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
		const timed = typeof seconds === 'number' && seconds > 0 ? TIMED[err.code as MessageCode]?.(seconds) : undefined;
		// The error's own wording is the most precise for codes this table does not know.
		return { code: err.code, message: named ?? timed ?? messageOf(err.code) ?? err.message };
	}
	if (err instanceof DOMException && err.name === 'AbortError') return { code: 'ABORTED', message: m.error_ABORTED() };
	return { code: 'UNKNOWN', message: m.error_unknown({ detail: err instanceof Error ? err.message : String(err) }) };
}

/** A controller's failure in words: the error's own, or the catalogue's for a bare code. */
export function describeFailure(failure: Failure): Problem {
	return failure.cause === undefined ? problem(failure.code) : describeError(failure.cause);
}

function hasCode(err: unknown): err is Error & { code: string } {
	return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}
