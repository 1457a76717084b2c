import type { MiddlewareHandler } from 'hono';
import { AppError } from '../errors';

/** Seconds a refused client is told to wait: about the time a part takes on a good link. */
export const BUSY_RETRY_AFTER_S = 5;

/**
 * Counts part uploads in flight in this process. Each one holds a file (or an object store
 * request), buffers and disk bandwidth, so a burst of them is bounded here rather than by the
 * process running out of descriptors or memory.
 */
export class UploadSlots {
	private used = 0;

	constructor(readonly max: number) {}

	/** Part uploads being received now. */
	get inFlight(): number {
		return this.used;
	}

	tryAcquire(): boolean {
		if (this.used >= this.max) return false;
		this.used++;
		return true;
	}

	release(): void {
		this.used = Math.max(0, this.used - 1);
	}
}

/**
 * Holds a slot for the whole handling of a part upload (until its answer is ready, whether the
 * part was stored, refused or broken off). Over the cap the request is refused before its body
 * is read, with 503 SERVER_BUSY and Retry-After, which the web app's upload engine retries.
 */
export function uploadLimit(slots: UploadSlots): MiddlewareHandler {
	return async (_c, next) => {
		if (!slots.tryAcquire()) {
			throw new AppError(
				'SERVER_BUSY',
				`The server is receiving too many uploads right now; retry in ${BUSY_RETRY_AFTER_S} s.`,
				{ retryAfter: BUSY_RETRY_AFTER_S },
				{ 'Retry-After': String(BUSY_RETRY_AFTER_S) }
			);
		}
		try {
			await next();
		} finally {
			slots.release();
		}
	};
}
