/**
 * A file the person chose to save into could not be written (File System Access): the disk is
 * full, the browser took back the permission, or the file or its folder was moved or removed.
 * Told by its code (src/lib/messages.ts), not as "Something went wrong"; the browser's own
 * DOMException is kept as `cause`.
 */
export class SaveError extends Error {
	constructor(
		readonly code: SaveErrorCode,
		override readonly cause: DOMException
	) {
		super(cause.message);
		this.name = 'SaveError';
	}
}

export type SaveErrorCode = 'DISK_FULL' | 'SAVE_DENIED' | 'SAVE_FAILED';

/** What each DOMException of a file write means to the person saving. */
const SAVE_ERRORS: Record<string, SaveErrorCode> = {
	QuotaExceededError: 'DISK_FULL',
	NotAllowedError: 'SAVE_DENIED',
	SecurityError: 'SAVE_DENIED',
	NotFoundError: 'SAVE_FAILED',
	InvalidStateError: 'SAVE_FAILED',
	NoModificationAllowedError: 'SAVE_FAILED'
};

/**
 * A failure of writing a chosen file, as a SaveError where it is one of those above; anything
 * else (a network failure, an abort) unchanged. Applied only where a save's file is written:
 * the same DOMExceptions elsewhere (reading a file to upload) mean something else.
 */
export function saveErrorOf(err: unknown): unknown {
	if (!(err instanceof DOMException)) return err;
	const code = SAVE_ERRORS[err.name];
	return code ? new SaveError(code, err) : err;
}

/** Runs a step of writing a chosen file, telling its failure as a SaveError. */
export async function saving<T>(work: () => Promise<T>): Promise<T> {
	try {
		return await work();
	} catch (err) {
		throw saveErrorOf(err);
	}
}
