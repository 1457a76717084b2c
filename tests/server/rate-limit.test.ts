import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/load';
import { RateLimiter } from '../../server/http/rate-limit';
import {
	API,
	bearer,
	createBody,
	createHarness,
	errorCode,
	FakeClock,
	jsonInit,
	readyShare,
	type Harness,
	type HarnessOptions
} from './helpers';

/**
 * What @hono/node-server hands the app: the Node request, with its socket's peer address. Its
 * body has already been read (`complete`), as app.request() passes the body separately.
 */
const from = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress }, headers: {}, complete: true } });

describe('rate limits', () => {
	let h: Harness;
	afterEach(() => h?.close());

	async function start(env: Record<string, string>, options: HarnessOptions = {}): Promise<Harness> {
		h = await createHarness({ ...options, env });
		return h;
	}

	function create(peer: string, headers: Record<string, string> = {}): Promise<Response> {
		const body = createBody({ size: 3000, partSize: 1024 }, { owner: randomBytes(32), read: randomBytes(32) });
		return Promise.resolve(h.app.request(`${API}/shares`, jsonInit('POST', body, headers), from(peer)));
	}

	it('answers 429 RATE_LIMITED with Retry-After after the configured creations, and recovers', async () => {
		await start({ SEALDROP_RATE_LIMIT_CREATE: '3/60' });
		for (let i = 0; i < 3; i++) expect((await create('203.0.113.7')).status).toBe(201);
		const refused = await create('203.0.113.7');
		expect(refused.status).toBe(429);
		expect(refused.headers.get('retry-after')).toBe('60');
		const body = (await refused.json()) as { error: { code: string; details: { retryAfter: number } } };
		expect(body.error.code).toBe('RATE_LIMITED');
		expect(body.error.details.retryAfter).toBe(60);
		// Another client is not affected.
		expect((await create('198.51.100.1')).status).toBe(201);

		h.clock.advance(30_000);
		const later = await create('203.0.113.7');
		expect(later.status).toBe(429);
		expect(later.headers.get('retry-after')).toBe('30');
		h.clock.advance(30_000);
		expect((await create('203.0.113.7')).status).toBe(201);
	});

	it('limits claims per client', async () => {
		await start({ SEALDROP_RATE_LIMIT_CLAIM: '2/600', SEALDROP_DOWNLOAD_OPTIONS: '1,5', SEALDROP_DOWNLOAD_DEFAULT: '1' });
		const share = await readyShare(h, { maxDownloads: 5 });
		const claim = () =>
			h.app.request(`${API}/shares/${share.id}/claim`, { method: 'POST', headers: bearer(share.readToken) }, from('2001:db8:1:2::7'));
		expect((await claim()).status).toBe(200);
		expect((await claim()).status).toBe(200);
		const refused = await claim();
		expect(refused.status).toBe(429);
		expect(await errorCode(refused)).toBe('RATE_LIMITED');
		// The same /64 is the same client.
		const neighbour = await h.app.request(
			`${API}/shares/${share.id}/claim`,
			{ method: 'POST', headers: bearer(share.readToken) },
			from('2001:db8:1:2::8')
		);
		expect(neighbour.status).toBe(429);
		h.clock.advance(600_000);
		expect((await claim()).status).toBe(200);
	});

	it('ignores X-Forwarded-For unless SEALDROP_TRUST_PROXY is on', async () => {
		await start({ SEALDROP_RATE_LIMIT_CREATE: '1/60' });
		// Every request comes from the proxy's address; rotating the header does not help.
		expect((await create('127.0.0.1', { 'x-forwarded-for': '203.0.113.1' })).status).toBe(201);
		expect((await create('127.0.0.1', { 'x-forwarded-for': '203.0.113.2' })).status).toBe(429);
	});

	it('with SEALDROP_TRUST_PROXY, takes the right-most X-Forwarded-For entry as the client', async () => {
		await start({ SEALDROP_RATE_LIMIT_CREATE: '1/60', SEALDROP_TRUST_PROXY: 'true' });
		expect((await create('127.0.0.1', { 'x-forwarded-for': '203.0.113.1' })).status).toBe(201);
		expect((await create('127.0.0.1', { 'x-forwarded-for': '203.0.113.2' })).status).toBe(201);
		// A forged left-hand entry does not make a new client.
		expect((await create('127.0.0.1', { 'x-forwarded-for': '10.9.9.9, 203.0.113.1' })).status).toBe(429);
		// Without the header the proxy itself is the client.
		expect((await create('127.0.0.1')).status).toBe(201);
	});

	it('with two proxies, skips the entry the inner proxy added', async () => {
		await start({ SEALDROP_RATE_LIMIT_CREATE: '1/60', SEALDROP_TRUST_PROXY: '2' });
		expect((await create('10.0.0.2', { 'x-forwarded-for': '203.0.113.1, 10.0.0.1' })).status).toBe(201);
		expect((await create('10.0.0.2', { 'x-forwarded-for': '6.6.6.6, 203.0.113.1, 10.0.0.1' })).status).toBe(429);
		expect((await create('10.0.0.2', { 'x-forwarded-for': '203.0.113.9, 10.0.0.1' })).status).toBe(201);
	});

	it('can be switched off', async () => {
		await start({ SEALDROP_RATE_LIMIT_CREATE: 'off' });
		for (let i = 0; i < 40; i++) expect((await create('203.0.113.7')).status).toBe(201);
	});
});

describe('rate limit settings', () => {
	it('parse N/SECONDS and off, and name the bad variable', () => {
		const config = loadConfig({ SEALDROP_RATE_LIMIT_CREATE: '5 / 120', SEALDROP_RATE_LIMIT_CLAIM: 'OFF' });
		expect(config.rateLimits).toEqual({ create: { max: 5, windowSeconds: 120 }, claim: undefined });
		expect(loadConfig({}).rateLimits.create).toEqual({ max: 30, windowSeconds: 600 });
		expect(loadConfig({}).trustProxy).toBe(0);
		expect(() => loadConfig({ SEALDROP_RATE_LIMIT_CLAIM: '10 per minute' })).toThrow(/SEALDROP_RATE_LIMIT_CLAIM: must be N\/SECONDS/);
		expect(() => loadConfig({ SEALDROP_RATE_LIMIT_CREATE: '0/60' })).toThrow(/SEALDROP_RATE_LIMIT_CREATE/);
		expect(() => loadConfig({ SEALDROP_TRUST_PROXY: 'yes' })).toThrow(/SEALDROP_TRUST_PROXY/);
		expect(() => loadConfig({ SEALDROP_METRICS_TOKEN: 'short' })).toThrow(/SEALDROP_METRICS_TOKEN/);
	});

	it('keeps memory bounded', () => {
		const limiter = new RateLimiter(new FakeClock(), { max: 1, windowSeconds: 60 });
		for (let i = 0; i < 60_000; i++) limiter.take(`client-${i}`);
		expect(limiter.size).toBeLessThanOrEqual(50_000);
	});
});
