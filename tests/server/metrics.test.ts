import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../server/config/schema';
import { loadConfig } from '../../server/config/load';
import { STORAGE_CACHE_MS } from '../../server/http/metrics';
import { createLogger } from '../../server/logger';
import { openStores } from '../../server/stores/open';
import { freshSchema } from '../support/postgres';
import {
	API,
	bearer,
	claim,
	createHarness,
	createShare,
	completeShare,
	putPart,
	readyShare,
	uploadAll,
	type Harness,
	type HarnessOptions
} from './helpers';
import { withServices } from '../support/tier';

/** The MetaStore on a fresh PostgreSQL schema (blobs stay on the filesystem). */
async function postgres(config: Config) {
	const schema = await freshSchema('metrics');
	const stores = await openStores(
		loadConfig({ SEALDROP_DATA_DIR: config.dataDir, SEALDROP_DATABASE_URL: schema.url }),
		createLogger('silent')
	);
	return {
		...stores,
		async close() {
			await stores.close();
			await schema.drop();
		}
	};
}

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

/** The value of one sample line, e.g. `sealdrop_errors_total{code="NOT_FOUND"}`; 0 if absent. */
function sample(text: string, series: string): number {
	const line = text.split('\n').find((l) => l.startsWith(`${series} `));
	return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('GET /metrics', () => {
	let h: Harness;
	afterEach(() => h?.close());

	async function start(options: HarnessOptions = {}): Promise<Harness> {
		h = await createHarness(options);
		return h;
	}

	async function scrape(headers: Record<string, string> = {}): Promise<string> {
		const response = await h.app.request('/metrics', { headers });
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
		return response.text();
	}

	it('counters move with real traffic', async () => {
		await start();
		const before = await scrape();
		expect(sample(before, 'sealdrop_shares_created_total')).toBe(0);

		const share = await createShare(h, { size: 3000, partSize: 1024 });
		await uploadAll(h, share);
		expect((await completeShare(h, share)).status).toBe(200);
		const { ticket } = await claim(h, share);
		const blob = await h.api(`/shares/${share.id}/blob`, { headers: bearer(ticket) });
		expect(blob.status).toBe(200);
		expect((await blob.arrayBuffer()).byteLength).toBe(3000);
		const ranged = await h.api(`/shares/${share.id}/blob`, { headers: { ...bearer(ticket), range: 'bytes=0-99' } });
		expect(ranged.status).toBe(206);
		await ranged.arrayBuffer();
		// Two errors with known codes.
		expect((await h.api('/shares/AAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);
		expect((await h.api(`/shares/${share.id}`, { method: 'DELETE', headers: bearer('wrong') })).status).toBe(403);

		const text = await scrape();
		expect(sample(text, 'sealdrop_shares_created_total')).toBe(1);
		expect(sample(text, 'sealdrop_bytes_in_total')).toBe(3000);
		expect(sample(text, 'sealdrop_bytes_out_total')).toBe(3100);
		expect(sample(text, 'sealdrop_claims_total')).toBe(1);
		expect(sample(text, 'sealdrop_errors_total{code="NOT_FOUND"}')).toBe(1);
		expect(sample(text, 'sealdrop_errors_total{code="FORBIDDEN"}')).toBe(1);
		// Route patterns, never ids.
		expect(
			sample(text, 'sealdrop_http_request_duration_seconds_count{method="PUT",route="/api/v1/shares/:id/parts/:n",status="200"}')
		).toBe(3);
		expect(sample(text, 'sealdrop_http_request_duration_seconds_count{method="POST",route="/api/v1/shares",status="201"}')).toBe(1);
		expect(text).not.toContain(share.id);
	});

	it.each<{ name: string; options: HarnessOptions }>([
		{ name: 'SQLite', options: {} },
		...withServices({ name: 'PostgreSQL', options: { openStores: postgres } })
	])('storage gauges follow live shares and their bytes through upload, completion and delete ($name)', async ({ options }) => {
		await start(options);
		const gauges = async () => {
			const text = await scrape();
			return {
				uploading: [sample(text, 'sealdrop_live_shares{state="uploading"}'), sample(text, 'sealdrop_stored_bytes{state="uploading"}')],
				ready: [sample(text, 'sealdrop_live_shares{state="ready"}'), sample(text, 'sealdrop_stored_bytes{state="ready"}')]
			};
		};
		const later = async () => {
			h.clock.advance(STORAGE_CACHE_MS);
			return gauges();
		};
		expect(await gauges()).toEqual({ uploading: [0, 0], ready: [0, 0] });

		const share = await createShare(h, { size: 3000, partSize: 1024 });
		expect((await putPart(h, share, 0)).status).toBe(200);
		expect((await putPart(h, share, 2)).status).toBe(200);
		// Within the cache time a scrape reuses the last figures (no query per scrape).
		expect(await gauges()).toEqual({ uploading: [0, 0], ready: [0, 0] });
		// An upload counts the bytes received, not its declared size.
		expect(await later()).toEqual({ uploading: [1, 1024 + 952], ready: [0, 0] });

		expect((await putPart(h, share, 1)).status).toBe(200);
		expect((await completeShare(h, share)).status).toBe(200);
		const other = await readyShare(h, { size: 5000, partSize: 4096 });
		expect(await later()).toEqual({ uploading: [0, 0], ready: [2, 8000] });

		expect((await h.api(`/shares/${share.id}`, { method: 'DELETE', headers: bearer(share.ownerToken) })).status).toBe(204);
		expect(await later()).toEqual({ uploading: [0, 0], ready: [1, 5000] });
		expect((await h.api(`/shares/${other.id}`, { method: 'DELETE', headers: bearer(other.ownerToken) })).status).toBe(204);
		expect(await later()).toEqual({ uploading: [0, 0], ready: [0, 0] });
	});

	it('a storage query that fails leaves the rest of the scrape working', async () => {
		let broken = false;
		await start({
			wrapMeta: (meta) => ({
				...meta,
				shares: new Proxy(meta.shares, {
					get(target, name, receiver) {
						if (name === 'usage' && broken) return () => Promise.reject(new Error('database gone'));
						const value: unknown = Reflect.get(target, name, receiver);
						return typeof value === 'function' ? value.bind(target) : value;
					}
				})
			})
		});
		await readyShare(h);
		expect(sample(await scrape(), 'sealdrop_live_shares{state="ready"}')).toBe(1);
		broken = true;
		h.clock.advance(STORAGE_CACHE_MS);
		const text = await scrape();
		expect(sample(text, 'sealdrop_shares_created_total')).toBe(1);
		expect(sample(text, 'sealdrop_live_shares{state="ready"}')).toBe(1);
		expect(h.logs.lines.some((line) => line.msg === 'metrics: cannot read storage usage')).toBe(true);
	});

	it('each app has its own registry', async () => {
		await start();
		await createShare(h);
		const other = await createHarness();
		try {
			const response = await other.app.request('/metrics');
			expect(sample(await response.text(), 'sealdrop_shares_created_total')).toBe(0);
		} finally {
			await other.close();
		}
	});

	it('needs the bearer token when SEALDROP_METRICS_TOKEN is set', async () => {
		await start({ env: { SEALDROP_METRICS_TOKEN: METRICS_TOKEN } });
		const without = await h.app.request('/metrics');
		expect(without.status).toBe(401);
		const wrong = await h.app.request('/metrics', { headers: bearer('metrics-token-0123456789abcdeX') });
		expect(wrong.status).toBe(401);
		expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
		expect(await scrape(bearer(METRICS_TOKEN))).toContain('sealdrop_shares_created_total');
	});

	it('is not under the API prefix', async () => {
		await start();
		expect((await h.app.request(`${API}/metrics`)).status).toBe(404);
	});
});
