import type { Context, MiddlewareHandler } from 'hono';
import { Counter, Histogram, Registry } from 'prom-client';
import { AppError } from '../errors';
import { bearerToken } from './auth';

/** Prometheus metrics of one app. Each app has its own registry, so tests stay isolated. */
export interface Metrics {
	registry: Registry;
	sharesCreated: Counter;
	/** Ciphertext bytes received in accepted part bodies. */
	bytesIn: Counter;
	/** Ciphertext bytes actually sent from /blob (counted as the body streams). */
	bytesOut: Counter;
	claims: Counter;
	errors: Counter<'code'>;
	requestDuration: Histogram<'method' | 'route' | 'status'>;
}

export function createMetrics(): Metrics {
	const registry = new Registry();
	const registers = [registry];
	return {
		registry,
		sharesCreated: new Counter({ name: 'sealdrop_shares_created_total', help: 'Shares created.', registers }),
		bytesIn: new Counter({ name: 'sealdrop_bytes_in_total', help: 'Ciphertext bytes received in accepted parts.', registers }),
		bytesOut: new Counter({ name: 'sealdrop_bytes_out_total', help: 'Ciphertext bytes sent from blob reads.', registers }),
		claims: new Counter({ name: 'sealdrop_claims_total', help: 'Downloads claimed.', registers }),
		errors: new Counter({ name: 'sealdrop_errors_total', help: 'API error responses, by error code.', labelNames: ['code'], registers }),
		requestDuration: new Histogram({
			name: 'sealdrop_http_request_duration_seconds',
			help: 'Time to the response headers, by route pattern (never the URL) and status.',
			labelNames: ['method', 'route', 'status'],
			// Parts of up to 64 MiB on slow links take long: the buckets reach minutes.
			buckets: [0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60, 300],
			registers
		})
	};
}

const API = '/api/v1';

/**
 * Observes every request. Counts come from the responses the routes already produce (status,
 * route pattern, the part's size, the error code), so the use cases need no metrics code.
 */
export function metricsMiddleware(metrics: Metrics): MiddlewareHandler {
	return async (c, next) => {
		const started = performance.now();
		await next();
		const route = c.req.routePath;
		const status = c.res.status;
		metrics.requestDuration.observe({ method: c.req.method, route, status: String(status) }, (performance.now() - started) / 1000);
		if (!c.req.path.startsWith('/api/')) return;
		if (status >= 400) {
			metrics.errors.inc({ code: await errorCodeOf(c.res) });
			return;
		}
		const key = `${c.req.method} ${route}`;
		if (key === `POST ${API}/shares`) metrics.sharesCreated.inc();
		else if (key === `POST ${API}/shares/:id/claim`) metrics.claims.inc();
		else if (key === `PUT ${API}/shares/:id/parts/:n`) {
			const part = (await c.res.clone().json()) as { size?: unknown };
			if (typeof part.size === 'number') metrics.bytesIn.inc(part.size);
		} else if (key === `GET ${API}/shares/:id/blob` && c.res.body) {
			c.res = new Response(c.res.body.pipeThrough(byteCounter(metrics.bytesOut)), c.res);
		}
	};
}

async function errorCodeOf(response: Response): Promise<string> {
	if (!response.headers.get('content-type')?.includes('application/json')) return 'NONE';
	try {
		const body = (await response.clone().json()) as { error?: { code?: unknown } };
		return typeof body.error?.code === 'string' ? body.error.code : 'NONE';
	} catch {
		return 'NONE';
	}
}

/** Counts bytes as they pass, so an aborted download counts only what was sent. */
function byteCounter(counter: Counter): TransformStream<Uint8Array, Uint8Array> {
	return new TransformStream({
		transform(chunk, controller) {
			counter.inc(chunk.byteLength);
			controller.enqueue(chunk);
		}
	});
}

/** `GET /metrics` in the Prometheus text format; with a token, only for `Bearer <token>`. */
export function metricsHandler(metrics: Metrics, token: string | undefined) {
	return async (c: Context): Promise<Response> => {
		if (token !== undefined && !sameToken(bearerToken(c.req.header('authorization')), token)) {
			throw new AppError('UNAUTHORIZED', 'Wrong metrics token.', undefined, { 'WWW-Authenticate': 'Bearer' });
		}
		const text = await metrics.registry.metrics();
		return c.body(text, 200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' });
	};
}

/** Constant-time for equal lengths; the token's length is not a secret worth guarding. */
function sameToken(a: string, b: string): boolean {
	if (a.length !== b.length) return false;
	let diff = 0;
	for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
	return diff === 0;
}
