import type { MessageCode } from '../messages';

/**
 * Why a step failed, as a code of the message catalogue (src/lib/messages.ts). `cause` is the
 * error itself when there was one: the page words it with describeError, which falls back to the
 * error's own text for a code the catalogue does not know.
 */
export interface Failure {
	code: string;
	cause?: unknown;
}

/** The failure an error stands for; the code rules match describeError's. */
export function failureOf(err: unknown): Failure {
	if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string') {
		return { code: (err as Error & { code: string }).code, cause: err };
	}
	if (err instanceof DOMException && err.name === 'AbortError') return { code: 'ABORTED', cause: err };
	return { code: 'UNKNOWN', cause: err };
}

/** A failure with no error behind it (a check that did not pass); its code must have a sentence in messages.ts. */
export const failure = (code: MessageCode): Failure => ({ code });
