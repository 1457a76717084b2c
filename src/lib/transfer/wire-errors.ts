import { ApiError, type ClientErrorCode } from '../api/client';
import type { ApiErrorCode } from '../api/types';
import { CryptoError, type CryptoErrorCode } from '../crypto/errors';

/** An error as it crosses from a worker to the page (classes do not survive postMessage). */
export type WireError =
	| {
			kind: 'api';
			code: ApiErrorCode | ClientErrorCode;
			message: string;
			status: number;
			details?: Record<string, unknown>;
			retryAfter?: string;
	  }
	| { kind: 'crypto'; code: CryptoErrorCode; message: string }
	/** A File System Access failure (disk full, permission lost, file removed), rebuilt as itself. */
	| { kind: 'dom'; name: string; message: string }
	| { kind: 'other'; code: string; message: string };

/** A file changed or vanished on disk while it was being read. */
export class FileReadError extends Error {
	readonly code = 'FILE_UNREADABLE';
	constructor() {
		super('A file could not be read: it was changed, moved or deleted during the upload. Choose it again to resume.');
	}
}

export function toWire(err: unknown): WireError {
	if (err instanceof ApiError) {
		return { kind: 'api', code: err.code, message: err.message, status: err.status, details: err.details, retryAfter: err.retryAfter };
	}
	if (err instanceof CryptoError) return { kind: 'crypto', code: err.code, message: err.message };
	if (err instanceof DOMException && err.name === 'NotReadableError')
		return { kind: 'other', code: 'FILE_UNREADABLE', message: new FileReadError().message };
	return { kind: 'other', code: 'UNKNOWN', message: err instanceof Error ? err.message : String(err) };
}

/**
 * A failure of a file written in a worker: the page gets the browser's own DOMException, as it did
 * when it wrote the file itself, so it is told the same (src/lib/messages.ts describeError).
 */
export function fileErrorToWire(err: unknown): WireError {
	return err instanceof DOMException ? { kind: 'dom', name: err.name, message: err.message } : toWire(err);
}

export function fromWire(wire: WireError): Error {
	if (wire.kind === 'dom') return new DOMException(wire.message, wire.name);
	if (wire.kind === 'api') return new ApiError(wire.code, wire.message, wire.status, wire.details, wire.retryAfter);
	if (wire.kind === 'crypto') return Object.assign(new CryptoError(wire.code), { message: wire.message });
	return wire.code === 'FILE_UNREADABLE' ? new FileReadError() : Object.assign(new Error(wire.message), { code: wire.code });
}
