import { ApiError, type ClientErrorCode as RequestErrorCode } from './api/client';
import type { ApiErrorCode } from './api/types';
import type { Failure } from './controllers/failure';
import type { UploadPhase } from './controllers/upload-controller';
import type { Progress } from './transfer/progress';
import { CryptoError, type CryptoErrorCode } from './crypto';

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

const MESSAGES: Record<MessageCode, string> = {
	// Reading a share
	NOT_FOUND: 'This share does not exist. Check that you copied the whole link.',
	INVALID_ID: 'This link is damaged: the share id is not valid. Check that you copied the whole link.',
	EXPIRED: 'This share has expired. Its files have been deleted from the server.',
	DELETED: 'The sender deleted this share.',
	DOWNLOAD_LIMIT_REACHED: 'This share has reached its download limit. Its files are no longer available.',
	NOT_READY: 'This share is still being uploaded. Try again in a moment.',
	TICKET_INVALID: 'This download session has run out. Reload the page to start again (this spends a download).',
	RANGE_NOT_SATISFIABLE:
		'The server could not send the requested piece of this download. Reload the page to start again (this spends a download).',
	FORBIDDEN: 'The server refused the token this request carried, so the link is damaged or was changed. Copy the whole link again exactly.',
	BAD_SECRET: 'This link is damaged: the key after “#” is missing or incomplete. Check that you copied the whole link.',
	WRONG_KEY: 'This link’s key does not match the share. The link is damaged or was changed: copy it again exactly.',
	WRONG_PASSWORD: 'Wrong password. Check it and try again (a wrong password costs no download).',
	PASSWORD_REQUIRED: 'This share is protected by a password. Enter it to see the files.',
	TOO_MANY_ATTEMPTS: 'Too many wrong attempts for this share or from your network. Wait a few minutes and try again.',
	RATE_LIMITED: 'Too many requests from your network in a short time. Wait a few minutes and try again.',
	TAMPERED: 'The data was modified after it was encrypted, so it was not saved. The server or the connection changed it.',
	TRUNCATED: 'The data ended too early, so it was not saved. Try again.',
	TRAILING_DATA: 'The server sent more data than the share holds, so it was not saved.',
	BAD_SIZE: 'The server reports a size that no encrypted share can have, so nothing was saved.',
	BAD_HEADER: 'This share’s header is damaged, so it cannot be decrypted.',
	KDF_TOO_COSTLY:
		'This share asks your device for far more password work than Sealdrop allows, so it was not opened. It was not made by a Sealdrop app; ask the sender for a new link.',
	UNSUPPORTED_VERSION:
		'This share was made by a newer version of Sealdrop. Update this server or open the link on the server that made it.',
	BAD_METADATA: 'The list of files in this share is damaged, so it cannot be shown.',
	// Uploading
	NOTHING_TO_SEND: 'Add files or write a message first.',
	TOO_LARGE: 'These files are larger than this server accepts.',
	INVALID_REQUEST: 'The server refused the request as invalid.',
	MISSING_PARTS: 'Some parts of the upload did not arrive. Try again.',
	INVALID_PART: 'The server refused a part of this upload as not belonging to it. Start the upload again.',
	PART_SIZE_MISMATCH: 'A part of the upload arrived incomplete. Check your connection and try again.',
	ALREADY_COMPLETE: 'This upload was already finished. Its link works; nothing more needs sending.',
	FILE_UNREADABLE: 'A file could not be read: it was changed, moved or deleted during the upload. Choose it again to resume.',
	FOLDER_EMPTY: 'The folder you chose has no files in it, so nothing was added.',
	ENTRY_UNREADABLE:
		'A file or folder could not be read (it was moved or deleted, or you may not open it), so nothing was added. Check it and add it again.',
	NOT_SAME_FILES: 'These are not the files this upload started with. Choose the same files (same names, sizes and dates).',
	// Restricted upload mode
	LOGIN_REQUIRED: 'This server accepts uploads only from signed-in users. Log in, then try again.',
	LOGIN_FAILED: 'Wrong user name or password.',
	ACCOUNT_DISABLED: 'This account is disabled. Ask the administrator of this server.',
	CROSS_ORIGIN: 'The server refused a request that did not come from its own page. Reload the page and try again.',
	QUOTA_EXCEEDED:
		'This upload would pass your account’s limit (storage space or number of live shares). Delete a share in My uploads or wait for one to expire, then try again.',
	EXPIRY_NOT_ALLOWED: 'Your account cannot keep shares that long. Choose a shorter expiry.',
	// Anywhere
	INSECURE_CONTEXT:
		'Sealdrop encrypts and decrypts files inside your browser, and browsers allow that only on pages opened over HTTPS (or from localhost on the same computer). This address uses plain http, so nothing can be sent or opened here. Open it with https:// instead, or ask whoever runs this server to set up HTTPS.',
	NETWORK: 'Cannot reach the server. Check your connection and try again.',
	UNAVAILABLE: 'The server is temporarily unavailable. Try again in a moment.',
	SERVER_BUSY: 'The server is busy receiving other uploads. Sealdrop keeps retrying; if this stays, try again later.',
	ABORTED: 'Cancelled.',
	INTERNAL: 'The server failed while handling this. Try again; if it keeps happening, tell whoever runs it.',
	BAD_RESPONSE: 'The server answered in a way Sealdrop does not understand.',
	UNAUTHORIZED: 'The server refused the request because it carried no valid token. Reload the page and try again.',
	UNSUPPORTED_MEDIA_TYPE:
		'The server did not understand the format of the request. Reload the page; if it keeps happening, tell whoever runs it.',
	REQUEST_TIMEOUT:
		'The server stopped waiting for the request: the connection is too slow or was interrupted. Check your connection and try again.',
	HEADERS_TOO_LARGE: 'The request was too large for the server to read, often because of this site’s cookies. Clear them and try again.',
	// My uploads
	STORAGE_UNAVAILABLE: 'This browser does not let Sealdrop keep a list of your uploads (private mode?). Your links still work.',
	PREVIEW_UNSUPPORTED: 'This browser cannot preview a file this large here. Download it instead.',
	PDF_UNREADABLE:
		'This PDF cannot be shown here (it may be damaged, or use something the preview does not support). Download it and open it in a PDF reader.',
	PDF_ENCRYPTED: 'This PDF is locked with its own password, which the preview cannot open. Download it and open it in a PDF reader.',
	SAVE_UNSUPPORTED: 'This browser cannot save a file this large. Open the link in a current Chrome, Edge, Firefox or Safari.'
};

/** Sentences that name the file or folder concerned, for errors that carry its `path`. */
const NAMED: Partial<Record<MessageCode, (path: string) => string>> = {
	FOLDER_EMPTY: (path) => `The folder “${path}” has no files in it, so nothing was added.`,
	ENTRY_UNREADABLE: (path) =>
		`“${path}” could not be read (it was moved or deleted, or you may not open it), so nothing was added. Check it and add it again.`
};

/** The table's sentence for a code, or undefined for one it does not know (say, from a newer server). */
function messageOf(code: string): string | undefined {
	return Object.hasOwn(MESSAGES, code) ? MESSAGES[code as MessageCode] : undefined;
}

/** A Problem for a known code, with the table's wording. */
export function problem(code: string): Problem {
	return { code, message: messageOf(code) ?? code };
}

/** What the upload's progress bar says in each busy phase. */
export const UPLOAD_PROGRESS_LABEL: Record<'creating' | 'uploading' | 'reconnecting' | 'paused', string> = {
	creating: 'Encrypting and uploading',
	uploading: 'Encrypting and uploading',
	reconnecting: 'Reconnecting…',
	paused: 'Paused'
};

/** Under the progress bar while reconnecting. */
export const RECONNECTING_HINT =
	'The connection to the server was lost. The upload carries on by itself as soon as it is back: keep this tab open.';

/** The tab's title on the send page, so that progress shows from another tab. */
export function uploadTitle(phase: UploadPhase, progress: Progress | null): string {
	const percent = progress && progress.total > 0 ? Math.floor((progress.done / progress.total) * 100) : 0;
	switch (phase) {
		case 'creating':
		case 'uploading':
			return `${percent}% uploaded · Sealdrop`;
		case 'reconnecting':
			return `Reconnecting… ${percent}% · Sealdrop`;
		case 'paused':
			return `Paused at ${percent}% · Sealdrop`;
		case 'done':
			return 'Upload finished · Sealdrop';
		case 'pick':
			return 'Sealdrop — send files privately';
	}
}

/** Above the Show message button: reading a note spends a download, as saving a file does. */
export function noteRevealHint(downloadsLeft: number): string {
	return downloadsLeft === 1
		? 'This message can be read once: showing it uses the last download of this share, and nobody can open it after you.'
		: 'Showing this message uses one download of this share; saving its files afterwards in this page uses no more.';
}

/** The heading over INSECURE_CONTEXT, shown instead of every page on plain http. */
export const INSECURE_CONTEXT_HEADING = 'Sealdrop needs HTTPS';

/** Short status words for a share's state, as the owner's list shows them. */
export const SHARE_STATUS: Record<string, string> = {
	EXPIRED: 'Expired',
	DELETED: 'Deleted',
	DOWNLOAD_LIMIT_REACHED: 'All downloads used',
	NOT_FOUND: 'Gone from the server',
	NOT_READY: 'Upload not finished'
};

export function describeError(err: unknown): Problem {
	if (err instanceof ApiError || err instanceof CryptoError || hasCode(err)) {
		const path = (err as { path?: unknown }).path;
		const named = typeof path === 'string' && path !== '' ? NAMED[err.code as MessageCode]?.(path) : undefined;
		// The error's own wording is the most precise for codes this table does not know.
		return { code: err.code, message: named ?? messageOf(err.code) ?? err.message };
	}
	if (err instanceof DOMException && err.name === 'AbortError') return { code: 'ABORTED', message: MESSAGES.ABORTED };
	return { code: 'UNKNOWN', message: `Something went wrong: ${err instanceof Error ? err.message : String(err)}` };
}

/** A controller's failure in words: the error's own, or the catalogue's for a bare code. */
export function describeFailure(failure: Failure): Problem {
	return failure.cause === undefined ? problem(failure.code) : describeError(failure.cause);
}

function hasCode(err: unknown): err is Error & { code: string } {
	return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}
