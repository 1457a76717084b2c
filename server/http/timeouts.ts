import type { IncomingMessage, ServerOptions } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import type { Config } from '../config';
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
		const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming as IncomingMessage | undefined;
		// app.request() in tests has no socket; a request without a body has nothing to wait for.
		if (!incoming?.socket || !hasBody(incoming) || incoming.complete) return next();
		const socket = incoming.socket;
		const onIdle = () => {
			logger.info({ method: c.req.method, route: c.req.routePath, idleTimeout: ms / 1000 }, 'request body idle; connection closed');
			socket.destroy();
		};
		const arm = () => socket.setTimeout(ms);
		const disarm = () => socket.setTimeout(0);
		socket.on('timeout', onIdle);
		incoming.on('resume', arm);
		incoming.on('pause', disarm);
		incoming.on('end', disarm);
		try {
			await next();
		} finally {
			disarm();
			socket.off('timeout', onIdle);
			incoming.off('resume', arm);
			incoming.off('pause', disarm);
			incoming.off('end', disarm);
		}
	};
}

function hasBody(incoming: IncomingMessage): boolean {
	const length = incoming.headers['content-length'];
	return incoming.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
