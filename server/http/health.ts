import { Hono } from 'hono';
import type { Logger } from '../logger';
import { networkCode } from '../stores/errors';

/** One store as /readyz checks it. */
export interface StoreProbe {
	name: 'meta' | 'blobs';
	/** sqlite, postgres, fs, s3. */
	backend: string;
	/** Absent: the store cannot be asked, and counts as answering. */
	ping?: () => Promise<void>;
}

export interface StoreStatus {
	backend: string;
	status: 'ok' | 'unavailable';
	ms: number;
	/** A short machine code (ECONNREFUSED, 28P01, NoSuchBucket, TIMEOUT…), never a message. */
	error?: string;
}

export interface ReadinessBody {
	status: 'ready' | 'unavailable';
	stores: Record<string, StoreStatus>;
}

/** A load balancer's probe must answer before its own timeout, even when a store hangs. */
const PROBE_TIMEOUT_MS = 3000;

/**
 * `/healthz`: liveness, 200 while the process serves requests (restart it if this fails).
 * `/readyz`: readiness, 200 only if every store answers now (route no traffic here otherwise).
 */
export function healthRoutes(probes: StoreProbe[], logger: Logger): Hono {
	return new Hono()
		.get('/healthz', (c) => {
			c.header('Cache-Control', 'no-store');
			return c.json({ status: 'ok' });
		})
		.get('/readyz', async (c) => {
			const results = await Promise.all(probes.map((probe) => check(probe, logger)));
			const body: ReadinessBody = {
				status: results.every((result) => result.status === 'ok') ? 'ready' : 'unavailable',
				stores: Object.fromEntries(probes.map((probe, i) => [probe.name, results[i] as StoreStatus]))
			};
			c.header('Cache-Control', 'no-store');
			return c.json(body, body.status === 'ready' ? 200 : 503);
		});
}

async function check(probe: StoreProbe, logger: Logger): Promise<StoreStatus> {
	const started = performance.now();
	const elapsed = () => Math.round(performance.now() - started);
	if (!probe.ping) return { backend: probe.backend, status: 'ok', ms: 0 };
	let timer: NodeJS.Timeout | undefined;
	try {
		await Promise.race([
			probe.ping(),
			new Promise((_, reject) => {
				timer = setTimeout(() => reject(Object.assign(new Error('store did not answer in time'), { code: 'TIMEOUT' })), PROBE_TIMEOUT_MS);
			})
		]);
		return { backend: probe.backend, status: 'ok', ms: elapsed() };
	} catch (error) {
		logger.warn({ err: error, store: probe.name, backend: probe.backend }, 'readiness check failed');
		return { backend: probe.backend, status: 'unavailable', ms: elapsed(), error: shortCode(error) };
	} finally {
		clearTimeout(timer);
	}
}

function shortCode(error: unknown): string {
	const e = error as { code?: unknown; name?: unknown; $metadata?: { httpStatusCode?: unknown } } | null;
	const network = networkCode(error);
	if (network) return network;
	if (typeof e?.code === 'string' && /^[A-Z0-9_]{2,40}$/i.test(e.code)) return e.code;
	const status = e?.$metadata?.httpStatusCode;
	if (typeof e?.name === 'string' && e.name !== 'Error') return typeof status === 'number' ? `${e.name} (${status})` : e.name;
	return 'ERROR';
}
