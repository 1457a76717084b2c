import type { Context, MiddlewareHandler } from 'hono';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { ShareStore } from '../stores/meta/types';
import { bearerToken } from './auth';
import type { ConnectionCounts } from './connections';
import { wrongMetricsToken } from './errors';
import { watchStream } from '../streams';

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

/** Where the gauges read the current state from. */
export interface GaugeSources {
	shares: Pick<ShareStore, 'usage'>;
	clock: Clock;
	logger: Logger;
	/** Part uploads in flight in this process. */
	uploadsInFlight: () => number;
	/** The listening server's connection counts (absent when the app is not listening, as in tests). */
	connections?: ConnectionCounts;
}

/** Scrapes within this long of the last reuse its storage figures: one query, however many scrapers. */
export const STORAGE_CACHE_MS = 5_000;

export function createMetrics(sources?: GaugeSources): Metrics {
	const registry = new Registry();
	const registers = [registry];
	if (sources) registerGauges(registry, sources);
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

/**
 * Gauges computed on scrape: live shares and their bytes from the MetaStore (one aggregate over
 * the live rows, never a walk over the blobs), cached for STORAGE_CACHE_MS; uploads in flight
 * from this process. With a shared database every instance reports the same storage figures.
 */
function registerGauges(registry: Registry, sources: GaugeSources): void {
	const registers = [registry];
	type Usage = Awaited<ReturnType<ShareStore['usage']>>;
	let cached: { at: number; usage: Usage } | undefined;
	let pending: Promise<Usage | undefined> | undefined;
	const usage = (): Promise<Usage | undefined> => {
		if (cached && sources.clock.now() - cached.at < STORAGE_CACHE_MS) return Promise.resolve(cached.usage);
		pending ??= sources.shares
			.usage()
			.then((fresh) => {
				cached = { at: sources.clock.now(), usage: fresh };
				return fresh;
			})
			.catch((error: unknown) => {
				// The rest of the scrape is still worth having; the gauges keep their last values.
				sources.logger.warn({ err: error }, 'metrics: cannot read storage usage');
				return undefined;
			})
			.finally(() => {
				pending = undefined;
			});
		return pending;
	};
	new Gauge({
		name: 'sealdrop_live_shares',
		help: 'Shares not yet expired, deleted, exhausted or abandoned, by state (uploading, ready).',
		labelNames: ['state'],
		registers,
		async collect() {
			const current = await usage();
			if (current) for (const state of ['uploading', 'ready'] as const) this.set({ state }, current[state].shares);
		}
	});
	new Gauge({
		name: 'sealdrop_stored_bytes',
		help: 'Ciphertext bytes held for live shares: ready shares in full, uploads as received so far.',
		labelNames: ['state'],
		registers,
		async collect() {
			const current = await usage();
			if (current) for (const state of ['uploading', 'ready'] as const) this.set({ state }, current[state].bytes);
		}
	});
	new Gauge({
		name: 'sealdrop_uploads_in_flight',
		help: 'Part uploads this process is receiving now (SEALDROP_MAX_CONCURRENT_UPLOADS caps them).',
		registers,
		collect() {
			this.set(sources.uploadsInFlight());
		}
	});
	const connections = sources.connections;
	if (!connections) return;
	new Gauge({
		name: 'sealdrop_open_connections',
		help: 'TCP (or TLS) connections this process holds open now (SEALDROP_MAX_CONNECTIONS caps them).',
		registers,
		collect() {
			this.set(connections.open);
		}
	});
	new Counter({
		name: 'sealdrop_connections_refused_total',
		help: 'Connections closed by the connection limits, by reason (max_connections, per_address, silent).',
		labelNames: ['reason'],
		registers,
		collect() {
			// The counts live in the connection guard; a counter cannot be set, so it is rebuilt.
			this.reset();
			for (const [reason, n] of Object.entries(connections.refused)) this.inc({ reason }, n);
		}
	});
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
			// Counted as the bytes pass, so an aborted download counts only what was sent.
			c.res = new Response(watchStream(c.res.body, { chunk: (chunk) => metrics.bytesOut.inc(chunk.byteLength) }), c.res);
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

/** `GET /metrics` in the Prometheus text format; with a token, only for `Bearer <token>`. */
export function metricsHandler(metrics: Metrics, token: string | undefined) {
	return async (c: Context): Promise<Response> => {
		if (token !== undefined && !sameToken(bearerToken(c.req.header('authorization')), token)) {
			throw wrongMetricsToken();
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
