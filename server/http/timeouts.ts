import type { IncomingMessage, ServerOptions } from 'node:http';
import type { Context, MiddlewareHandler, Next } from 'hono';
import type { Config } from '../config/schema';
import type { Logger } from '../logger';

/**
 * Node's own limits for the HTTP server. There is deliberately no limit on a whole request
 * (`requestTimeout: 0`, Node's default is 5 minutes): a 64 MiB part over a slow phone link takes
 * longer than that. A stalled body is stopped by `bodyIdleTimeout` instead.
 */
export function httpServerOptions(timeouts: Config['timeouts']): ServerOptions {
	const headersMs = timeouts.headers * 1000;
	return {
		headersTimeout: headersMs,
		requestTimeout: 0,
		keepAliveTimeout: timeouts.keepAlive * 1000,
		// How often Node checks the headers timeout; its 30 s default would stretch a short one.
		connectionsCheckingInterval: Math.max(250, Math.min(30_000, Math.floor(headersMs / 2)))
	};
}

/**
 * Cuts the connection of a request whose body sends nothing for `ms` while the server is reading
 * it. The clock runs only while the body is being consumed and not held back by the server
 * (back-pressure from a slow disk or object store pauses it), so only the client's silence
 * counts, and a slow upload that keeps sending runs as long as it needs. The handler then sees a
 * broken body: the part is not stored and the client's retry sends it again.
 */
export function bodyIdleTimeout(ms: number, logger: Logger): MiddlewareHandler {
	return async (c, next) => {
		const incoming = unreadBody(c);
		if (!incoming) return next();
		const socket = incoming.socket;
		const onIdle = () => {
			logger.info({ method: c.req.method, route: c.req.routePath, idleTimeout: ms / 1000 }, 'request body idle; connection closed');
			socket.destroy();
		};
		socket.on('timeout', onIdle);
		try {
			await whileReading(
				incoming,
				() => socket.setTimeout(ms),
				() => socket.setTimeout(0),
				next
			);
		} finally {
			socket.off('timeout', onIdle);
		}
	};
}

/** SEALDROP_MIN_UPLOAD_RATE and its grace period. */
export interface MinRate {
	bytesPerSecond: number;
	graceSeconds: number;
}

/** Checks closer together than this would only cost timers: the cut may come this much late. */
const MIN_CHECK_MS = 100;

/**
 * Cuts the connection of a request body (a part upload) that arrives slower than
 * `rule.bytesPerSecond` on average since it began, once `rule.graceSeconds` of reading have
 * passed, so that a trickle of a few bytes a second cannot hold an upload slot, a connection and
 * a file for hours while never going silent long enough for `bodyIdleTimeout`. As there, the
 * clock runs only while the server reads the body and does not hold it back (a slow disk or
 * object store pauses it), so only the client's pace counts. Holding a part open for T seconds
 * thus costs at least T × the floor in bytes, and a part ends when its bytes are all sent.
 * The handler then sees a broken body: the part is not stored and the client's retry sends it again.
 */
export function minBodyRate(rule: MinRate | undefined, logger: Logger): MiddlewareHandler {
	return async (c, next) => {
		const incoming = unreadBody(c);
		if (!rule || !incoming) return next();
		const socket = incoming.socket;
		const graceMs = rule.graceSeconds * 1000;
		const perMs = rule.bytesPerSecond / 1000;
		// The socket's own counter, as adding a 'data' listener would change how the body flows.
		// Bytes read before this point (the request head, perhaps a first piece of the body) do
		// not count, which errs by at most one read against the client.
		const startBytes = socket.bytesRead;
		let activeMs = 0;
		let since: number | undefined;
		let timer: NodeJS.Timeout | undefined;
		const elapsed = () => activeMs + (since === undefined ? 0 : performance.now() - since);
		const schedule = () => {
			// The earliest moment the average could fall below the floor if nothing more arrives.
			const dueMs = Math.max(graceMs, (socket.bytesRead - startBytes) / perMs);
			timer = setTimeout(check, Math.max(MIN_CHECK_MS, dueMs - elapsed()));
			timer.unref();
		};
		const check = () => {
			const ms = elapsed();
			const bytes = socket.bytesRead - startBytes;
			if (ms < graceMs || bytes >= ms * perMs) return schedule();
			logger.info(
				{ method: c.req.method, route: c.req.routePath, bytes, seconds: Math.round(ms / 100) / 10, minRate: rule.bytesPerSecond },
				'request body too slow; connection closed'
			);
			socket.destroy();
		};
		const resume = () => {
			if (since !== undefined) return;
			since = performance.now();
			schedule();
		};
		const pause = () => {
			if (since === undefined) return;
			activeMs += performance.now() - since;
			since = undefined;
			clearTimeout(timer);
		};
		await whileReading(incoming, resume, pause, next);
	};
}

/** The request's Node message if its body is still to be read from a socket (app.request() in tests has none). */
function unreadBody(c: Context): IncomingMessage | undefined {
	const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming as IncomingMessage | undefined;
	// A request without a body, or one already read, has nothing to watch.
	return incoming?.socket && hasBody(incoming) && !incoming.complete ? incoming : undefined;
}

/**
 * Runs the handler (`next`) calling `reading` whenever the server starts or resumes reading the
 * body, and `stopped` whenever it holds it back or has it all, and once more when the handler is done.
 */
async function whileReading(incoming: IncomingMessage, reading: () => void, stopped: () => void, next: Next): Promise<void> {
	incoming.on('resume', reading);
	incoming.on('pause', stopped);
	incoming.on('end', stopped);
	try {
		await next();
	} finally {
		stopped();
		incoming.off('resume', reading);
		incoming.off('pause', stopped);
		incoming.off('end', stopped);
	}
}

function hasBody(incoming: IncomingMessage): boolean {
	const length = incoming.headers['content-length'];
	return incoming.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
