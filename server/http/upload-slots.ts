import type { MiddlewareHandler } from 'hono';
import type { ClientAddress } from './client-address';
import { serverBusy } from './errors';

/** Seconds a refused client is told to wait: about the time a part takes on a good link. */
export const BUSY_RETRY_AFTER_S = 5;

/**
 * Counts part uploads in flight in this process, in all and per client. Each one holds a file
 * (or an object store request), buffers and disk bandwidth, so a burst of them is bounded here
 * rather than by the process running out of descriptors or memory; the per-client share keeps
 * one client (say, many slow uploads from one address) from holding every slot.
 */
export class UploadSlots {
	private used = 0;
	private readonly byClient = new Map<string, number>();

	constructor(
		readonly max: number,
		readonly perClient: number = max
	) {}

	/** Part uploads being received now. */
	get inFlight(): number {
		return this.used;
	}

	/** `client` undefined (no address known, e.g. app.request() in tests): only the total applies. */
	tryAcquire(client: string | undefined): boolean {
		if (this.used >= this.max) return false;
		if (client !== undefined) {
			const held = this.byClient.get(client) ?? 0;
			if (held >= this.perClient) return false;
			this.byClient.set(client, held + 1);
		}
		this.used++;
		return true;
	}

	release(client: string | undefined): void {
		this.used = Math.max(0, this.used - 1);
		if (client === undefined) return;
		const held = (this.byClient.get(client) ?? 0) - 1;
		// Entries go when their last upload ends, so the map holds only clients uploading now.
		if (held > 0) this.byClient.set(client, held);
		else this.byClient.delete(client);
	}
}

/**
 * Holds a slot for the whole handling of a part upload (until its answer is ready, whether the
 * part was stored, refused or broken off). Over the cap, or over the client's share (the client
 * as the rate limits see it: the TCP peer, or X-Forwarded-For behind a trusted proxy), the request
 * is refused before its body is read, with 503 SERVER_BUSY and Retry-After, which the web app's
 * upload engine retries. The same answer for both: to the client either means "later".
 */
export function uploadLimit(slots: UploadSlots, clientAddress: ClientAddress): MiddlewareHandler {
	return async (c, next) => {
		const client = clientAddress(c);
		if (!slots.tryAcquire(client)) throw serverBusy(BUSY_RETRY_AFTER_S);
		try {
			await next();
		} finally {
			slots.release(client);
		}
	};
}
