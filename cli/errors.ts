import { ApiError } from '../src/lib/api/client';
import { isCryptoError } from '../src/lib/crypto';
import { PasswordError } from '../src/lib/transfer/download';

/** Exit codes, one per failure class (docs/CLI.md). */
export const EXIT = {
	OK: 0,
	/** A bug or an unexpected answer. */
	INTERNAL: 1,
	USAGE: 2,
	/** The server could not be reached, or kept failing. */
	NETWORK: 3,
	/** The share does not exist (any more): not found, expired, deleted, downloads used up. */
	GONE: 4,
	/** Wrong or damaged link key, wrong or missing password. */
	WRONG_KEY: 5,
	/** The share's data or header is damaged or hostile (tampered, malformed, too costly to open). */
	DAMAGED: 6,
	/** Reading or writing local files failed, or a file is in the way. */
	LOCAL_IO: 7,
	/** The server refused: login needed, too large, quota, not allowed, rate limited. */
	REFUSED: 8,
	INTERRUPTED: 130
} as const;

/** A failure with its stable code, its exit code and a sentence for people. */
export class CliError extends Error {
	constructor(
		readonly code: string,
		readonly exit: number,
		message: string
	) {
		super(message);
		this.name = 'CliError';
	}
}

export const usage = (message: string) => new CliError('USAGE', EXIT.USAGE, message);
export const localIo = (code: string, message: string) => new CliError(code, EXIT.LOCAL_IO, message);

const GONE = new Set([
	'NOT_FOUND',
	'EXPIRED',
	'DELETED',
	'DOWNLOAD_LIMIT_REACHED',
	'NOT_READY',
	'INVALID_ID',
	'TICKET_INVALID',
	'REQUEST_CLOSED'
]);
const NETWORK = new Set(['NETWORK', 'UNAVAILABLE', 'BAD_RESPONSE', 'SERVER_BUSY', 'REQUEST_TIMEOUT', 'INTERNAL']);
const WRONG_KEY = new Set([
	'BAD_SECRET',
	'WRONG_KEY',
	'PASSWORD_REQUIRED',
	'WRONG_PASSWORD',
	'REQUEST_KEY_MISMATCH',
	'WRONG_PASSPHRASE',
	'BAD_PUBLIC_KEY'
]);

/** A write into the download folder failed because the disk (or the user's quota) is full. */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);
/** Not allowed to write there: permissions, or a read-only file system. */
const WRITE_DENIED = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * A failed write of a download into `folder`, said with the folder and what to do; other errors
 * unchanged. Only for the download's own files: the config folder's failures stay system errors.
 * The partial file keeps the bytes written, so running the command again continues from them.
 */
export function saveError(err: unknown, folder: string): unknown {
	const code = (err as NodeJS.ErrnoException | null)?.code;
	if (typeof code !== 'string') return err;
	if (DISK_FULL.has(code)) {
		return localIo(
			'DISK_FULL',
			`There is not enough free space in ${folder} to save the download (${code}). ` +
				'Free some space, then run the same command again: it continues from the bytes saved.'
		);
	}
	if (WRITE_DENIED.has(code)) {
		const why = code === 'EROFS' ? 'it is on a read-only file system' : 'permission denied';
		return localIo(
			'SAVE_DENIED',
			`Cannot write the download into ${folder}: ${why} (${code}). ` +
				'Make it writable, or choose another folder with -o, then run the same command again.'
		);
	}
	return err;
}

/** "45 s", "7 min", "1 h 5 min": how long to wait, rounded up to what a person would wait. */
export function waitText(seconds: number): string {
	if (seconds < 60) return `${Math.ceil(seconds)} s`;
	const minutes = Math.ceil(seconds / 60);
	return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

/** Any failure as a CliError: the class decides the exit code, the message stays the library's. */
export function toCliError(err: unknown): CliError {
	if (err instanceof CliError) return err;
	if (err instanceof PasswordError) {
		// The server's lock says how long it lasts: the person needs the wait, not "later".
		const wait = err.retryAfterSeconds;
		const message = wait ? `${err.message.replace(/; try again later\.$/, '')}: try again in ${waitText(wait)}.` : err.message;
		return new CliError(err.code, EXIT.WRONG_KEY, message);
	}
	if (isCryptoError(err)) return new CliError(err.code, WRONG_KEY.has(err.code) ? EXIT.WRONG_KEY : EXIT.DAMAGED, err.message);
	if (err instanceof ApiError) {
		if (err.code === 'ABORTED')
			return new CliError('INTERRUPTED', EXIT.INTERRUPTED, 'Interrupted; run the same command again to continue.');
		if (GONE.has(err.code)) return new CliError(err.code, EXIT.GONE, err.message);
		if (NETWORK.has(err.code)) return new CliError(err.code, EXIT.NETWORK, err.message);
		if (err.code === 'LOGIN_FAILED') return new CliError(err.code, EXIT.WRONG_KEY, err.message);
		if (err.code === 'FORBIDDEN' || err.code === 'UNAUTHORIZED') {
			return new CliError(err.code, EXIT.WRONG_KEY, `${err.message} (the owner token does not match)`);
		}
		return new CliError(err.code, EXIT.REFUSED, err.message);
	}
	const sys = err as NodeJS.ErrnoException | null;
	if (sys && typeof sys.code === 'string' && typeof sys.syscall === 'string') {
		return new CliError(sys.code, EXIT.LOCAL_IO, `${sys.syscall} failed: ${sys.message}`);
	}
	if (sys && (sys as Error).name === 'NotReadableError') {
		return new CliError('READ_FAILED', EXIT.LOCAL_IO, 'A file could not be read (did it change while it was sent?).');
	}
	return new CliError('INTERNAL', EXIT.INTERNAL, err instanceof Error ? err.message : String(err));
}
