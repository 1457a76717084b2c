import { ApiError, type ClientErrorCode as RequestErrorCode } from './api/client';
import type { ApiErrorCode } from './api/types';
import type { Failure } from './controllers/failure';
import type { UploadPhase } from './controllers/upload-controller';
import type { ReceiveState } from './controllers/receive-controller';
import type { Progress } from './transfer/progress';
import { CryptoError, type CryptoErrorCode } from './crypto';
import { formatDuration, formatPercent } from './format';
import { m } from './paraglide/messages.js';

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
	| 'FILE_UNREADABLE'
	| 'FOLDER_EMPTY'
	| 'ENTRY_UNREADABLE'
	| 'STORAGE_UNAVAILABLE'
	| 'PREVIEW_UNSUPPORTED'
	| 'PDF_UNREADABLE'
	| 'PDF_ENCRYPTED'
	| 'SAVE_UNSUPPORTED'
	| 'INSECURE_CONTEXT';

/** Every code a person can be shown. A code added to one of these unions without a sentence below does not compile. */
export type MessageCode = ApiErrorCode | CryptoErrorCode | ClientErrorCode;

/**
 * The sentence for each code, in the current language: messages/{locale}.json, compiled by Paraglide
 * into one typed function per key. A code without an `error_<CODE>` key in messages/en.json does not
 * compile here; a key missing from another language fails tests/unit/i18n.test.ts.
 */
const MESSAGES: Record<`error_${MessageCode}`, () => string> = m;

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
	return Object.hasOwn(MESSAGES, key) ? MESSAGES[key as `error_${MessageCode}`]() : undefined;
}

/** A Problem for a known code, with the table's wording. */
export function problem(code: string): Problem {
	return { code, message: messageOf(code) ?? code };
}

/** What the upload's progress bar says in each busy phase (in the current language when read). */
export const UPLOAD_PROGRESS_LABEL: Record<'creating' | 'uploading' | 'reconnecting' | 'paused', string> = {
	get creating() {
		return m.progress_uploading();
	},
	get uploading() {
		return m.progress_uploading();
	},
	get reconnecting() {
		return m.progress_reconnecting();
	},
	get paused() {
		return m.progress_paused();
	}
};

/** Under the progress bar while reconnecting. */
export function reconnectingHint(): string {
	return m.reconnecting_hint();
}

/** The tab's title on the send page, so that progress shows from another tab. */
export function uploadTitle(phase: UploadPhase, progress: Progress | null): string {
	const percent = formatPercent(progress && progress.total > 0 ? progress.done / progress.total : 0);
	switch (phase) {
		case 'creating':
		case 'uploading':
			return m.title_uploading({ percent });
		case 'reconnecting':
			return m.title_reconnecting({ percent });
		case 'paused':
			return m.title_paused({ percent });
		case 'done':
			return m.title_done();
		case 'pick':
			return m.upload_title();
	}
}

/** The tab's title on a share's page, so that a download's progress shows from another tab. */
export function receiveTitle(state: Pick<ReceiveState, 'phase' | 'waiting' | 'progress' | 'stopped'>): string {
	const { phase, waiting, progress, stopped } = state;
	if (phase === 'downloading') {
		const percent = formatPercent(progress && progress.total > 0 ? progress.done / progress.total : 0);
		return waiting ? m.title_waiting({ percent }) : m.title_downloading({ percent });
	}
	if (phase === 'done') return m.title_downloaded();
	if (phase === 'ready' && stopped)
		return m.title_stopped({ percent: formatPercent(stopped.total > 0 ? stopped.done / stopped.total : 0) });
	return m.receive_title();
}

/** Beside Continue download: what continuing keeps, and that it spends nothing. */
export function stoppedText(stopped: NonNullable<ReceiveState['stopped']>): string {
	const percent = formatPercent(stopped.total > 0 ? stopped.done / stopped.total : 0);
	return stopped.restarts === null
		? m.download_stopped_continue({ percent })
		: m.download_stopped_restart({ percent, name: stopped.restarts });
}

/** Above the Show message button: reading a note spends a download, as saving a file does. */
export function noteRevealHint(downloadsLeft: number): string {
	return downloadsLeft === 1 ? m.note_reveal_hint_last() : m.note_reveal_hint();
}

/** The heading over INSECURE_CONTEXT, shown instead of every page on plain http. */
export function insecureContextHeading(): string {
	return m.insecure_heading();
}

/** The recipient page's heading when a share cannot be opened: it names the problem. */
export function receiveFailedHeading(code: string): string {
	switch (code) {
		case 'NOT_FOUND':
		case 'INVALID_ID':
			return m.receive_failed_not_found();
		case 'EXPIRED':
			return m.receive_failed_expired();
		case 'DOWNLOAD_LIMIT_REACHED':
			return m.receive_failed_used_up();
		case 'DELETED':
			return m.receive_failed_deleted();
		case 'FORBIDDEN':
		case 'BAD_SECRET':
		case 'WRONG_KEY':
			return m.receive_failed_damaged();
		default:
			return m.receive_failed_other();
	}
}

/** Short status words for a share's state, as the owner's list shows them (in the current language when read). */
export const SHARE_STATUS: Record<string, string> = {
	get EXPIRED() {
		return m.status_EXPIRED();
	},
	get DELETED() {
		return m.status_DELETED();
	},
	get DOWNLOAD_LIMIT_REACHED() {
		return m.status_DOWNLOAD_LIMIT_REACHED();
	},
	get NOT_FOUND() {
		return m.status_NOT_FOUND();
	},
	get NOT_READY() {
		return m.status_NOT_READY();
	}
};

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
