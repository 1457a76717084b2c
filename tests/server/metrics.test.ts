import { afterEach, describe, expect, it } from 'vitest';
import {
	API,
	bearer,
	claim,
	createHarness,
	createShare,
	completeShare,
	uploadAll,
	type Harness,
	type HarnessOptions
} from './helpers';

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
		expect(sample(text, 'sealdrop_http_request_duration_seconds_count{method="PUT",route="/api/v1/shares/:id/parts/:n",status="200"}')).toBe(3);
		expect(sample(text, 'sealdrop_http_request_duration_seconds_count{method="POST",route="/api/v1/shares",status="201"}')).toBe(1);
		expect(text).not.toContain(share.id);
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
