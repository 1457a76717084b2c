import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClaimResponse, CreateShareResponse, PartsStatus } from '../../src/lib/api/types';
import { startInstance, type Instance } from '../support/instances';
import { freshSchema, type TestSchema } from '../support/postgres';
import { startS3rver, type TestS3 } from '../support/s3rver';
import { until } from '../support/wait';
import { b64, bearer, createBody, outcome, sha256, tempDir } from './helpers';

const MiB = 1024 * 1024;

/**
 * Two server processes on two ports sharing one PostgreSQL schema and one S3 bucket (s3rver), as
 * behind a load balancer: whatever instance a request reaches, the share behaves the same.
 */
describe('two instances sharing PostgreSQL and S3', () => {
	let dir: string;
	let s3: TestS3;
	let db: TestSchema;
	let a: Instance;
	let b: Instance;

	beforeAll(async () => {
		dir = await tempDir('sealdrop-multi-');
		[s3, db] = await Promise.all([startS3rver(), freshSchema('multi')]);
		const env = (name: string) => ({
			...s3.env,
			SEALDROP_DATABASE_URL: db.url,
			SEALDROP_DATA_DIR: join(dir, name),
			SEALDROP_STATIC_DIR: join(dir, 'no-build'),
			// Debug: every sweeper pass is logged, so the test can count passes instead of sleeping.
			SEALDROP_LOG_LEVEL: 'debug',
			SEALDROP_SWEEP_INTERVAL: '1',
			SEALDROP_EXPIRY_OPTIONS: '3600',
			SEALDROP_EXPIRY_DEFAULT: '3600',
			SEALDROP_DOWNLOAD_OPTIONS: '1,7',
			SEALDROP_DOWNLOAD_DEFAULT: '1'
		});
		// Both at once on an empty schema: the migrations must serialize themselves.
		[a, b] = await Promise.all([startInstance(env('a')), startInstance(env('b'))]);
	}, 90_000);

	afterAll(async () => {
		await Promise.all([a?.stop(), b?.stop()]);
		await Promise.all([s3?.close(), db?.drop()]);
		await rm(dir, { recursive: true, force: true });
	});

	const api = (instance: Instance, path: string, init?: RequestInit) => fetch(`${instance.url}/api/v1${path}`, init);

	async function create(via: Instance, size: number, partSize: number, maxDownloads = 1) {
		const tokens = { owner: randomBytes(32), read: randomBytes(32) };
		const response = await api(via, '/shares', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(createBody({ size, partSize, maxDownloads, expiresIn: 3600 }, tokens))
		});
		expect(response.status, await response.clone().text()).toBe(201);
		const created = (await response.json()) as CreateShareResponse;
		return { ...created, owner: b64(tokens.owner), read: b64(tokens.read), bytes: randomBytes(size), partSize };
	}
	type Share = Awaited<ReturnType<typeof create>>;

	const put = (via: Instance, share: Share, n: number) =>
		api(via, `/shares/${share.id}/parts/${n}`, {
			method: 'PUT',
			headers: bearer(share.owner),
			body: share.bytes.subarray(n * share.partSize, (n + 1) * share.partSize)
		});
	const complete = (via: Instance, share: Share) =>
		api(via, `/shares/${share.id}/complete`, { method: 'POST', headers: bearer(share.owner) });
	const claim = (via: Instance, share: Share) => api(via, `/shares/${share.id}/claim`, { method: 'POST', headers: bearer(share.read) });

	async function ready(via: Instance, size: number, maxDownloads = 1): Promise<Share> {
		const share = await create(via, size, size, maxDownloads);
		expect((await put(via, share, 0)).status).toBe(200);
		expect((await complete(via, share)).status).toBe(200);
		return share;
	}

	/** Log lines at error level or above, from both processes. */
	const errors = () => [...a.lines(), ...b.lines()].filter((line) => Number(line.level) >= 50);

	it('both are live and ready, each reporting PostgreSQL and S3', async () => {
		for (const instance of [a, b]) {
			expect((await fetch(`${instance.url}/healthz`)).status).toBe(200);
			const ready = await fetch(`${instance.url}/readyz`);
			expect(ready.status).toBe(200);
			expect(await ready.json()).toMatchObject({
				status: 'ready',
				stores: { meta: { backend: 'postgres', status: 'ok' }, blobs: { backend: 's3', status: 'ok' } }
			});
		}
	});

	it('a share created on A, part 0 sent to A and part 1 to B, is complete and byte-identical through either', async () => {
		const share = await create(a, 5 * MiB + 1000, 5 * MiB);
		expect(share.parts).toBe(2);
		expect((await put(a, share, 0)).status).toBe(200);
		expect((await put(b, share, 1)).status).toBe(200);
		const status = (await (await api(a, `/shares/${share.id}/parts`, { headers: bearer(share.owner) })).json()) as PartsStatus;
		expect(status.received).toEqual([0, 1]);
		expect(await outcome(await complete(b, share))).toBe('200');
		expect(await outcome(await complete(a, share))).toBe('409 ALREADY_COMPLETE');

		expect((await api(a, `/shares/${share.id}`)).status).toBe(200);
		const claimed = await claim(a, share);
		expect(claimed.status).toBe(200);
		const { ticket } = (await claimed.json()) as ClaimResponse;
		const whole = await api(b, `/shares/${share.id}/blob`, { headers: bearer(ticket) });
		expect(whole.status).toBe(200);
		expect(sha256(Buffer.from(await whole.arrayBuffer())).equals(sha256(share.bytes))).toBe(true);
		const across = await api(a, `/shares/${share.id}/blob`, {
			headers: { ...bearer(ticket), range: `bytes=${5 * MiB - 10}-${5 * MiB + 9}` }
		});
		expect(across.status).toBe(206);
		expect(Buffer.from(await across.arrayBuffer()).equals(share.bytes.subarray(5 * MiB - 10, 5 * MiB + 10))).toBe(true);
	});

	it('a share read while it uploads: parts sent to either instance stream through the other (S3 part objects)', async () => {
		const share = await create(a, 2 * 5 * MiB + 1000, 5 * MiB);
		expect(((await (await api(b, '/config')).json()) as { streaming: boolean }).streaming).toBe(true);
		expect((await put(a, share, 0)).status).toBe(200);
		const claimed = await claim(b, share);
		expect(claimed.status).toBe(200);
		const { ticket } = (await claimed.json()) as ClaimResponse;
		// Part 0 reached A; B reads it from the bucket before the share is complete.
		const early = await api(b, `/shares/${share.id}/blob`, { headers: { ...bearer(ticket), range: 'bytes=100-199' } });
		expect(early.status).toBe(206);
		expect(Buffer.from(await early.arrayBuffer()).equals(share.bytes.subarray(100, 200))).toBe(true);
		// A whole read on A waits inside the body for part 1 (sent to B: A sees it by polling) and part 2.
		const whole = await api(a, `/shares/${share.id}/blob`, { headers: bearer(ticket) });
		expect(whole.status).toBe(200);
		const body = whole.arrayBuffer();
		expect((await put(b, share, 1)).status).toBe(200);
		expect((await put(a, share, 2)).status).toBe(200);
		expect(sha256(Buffer.from(await body)).equals(sha256(share.bytes))).toBe(true);
		expect(await outcome(await complete(b, share))).toBe('200');
		const sealed = await api(a, `/shares/${share.id}/blob`, {
			headers: { ...bearer(ticket), range: `bytes=${5 * MiB - 10}-${10 * MiB + 9}` }
		});
		expect(sealed.status).toBe(206);
		expect(Buffer.from(await sealed.arrayBuffer()).equals(share.bytes.subarray(5 * MiB - 10, 10 * MiB + 10))).toBe(true);
	});

	it('40 claims split across both on a limit-7 share give exactly 7 tickets, each good on either', async () => {
		const share = await ready(a, 4096, 7);
		const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => claim(i % 2 === 0 ? a : b, share)));
		const outcomes = await Promise.all(responses.map((response) => outcome(response.clone())));
		expect(outcomes.filter((o) => o === '200')).toHaveLength(7);
		expect(outcomes.filter((o) => o === '410 DOWNLOAD_LIMIT_REACHED')).toHaveLength(33);
		const tickets = await Promise.all(
			responses.filter((r) => r.status === 200).map(async (r) => ((await r.json()) as ClaimResponse).ticket)
		);
		for (const [i, ticket] of tickets.entries()) {
			const response = await api(i % 2 === 0 ? b : a, `/shares/${share.id}/blob`, { headers: bearer(ticket) });
			expect(Buffer.from(await response.arrayBuffer()).equals(share.bytes)).toBe(true);
		}
		const claims = [...a.lines(), ...b.lines()].filter((line) => line.audit === 'share.claim' && line.shareId === share.id);
		expect(claims).toHaveLength(7);
	});

	it('wrong read tokens are counted once across both: 10 split over A and B lock the share on each', async () => {
		const share = await ready(a, 1000, 7);
		const wrong = (via: Instance) => api(via, `/shares/${share.id}/metadata`, { headers: bearer(b64(randomBytes(32))) });
		for (let i = 0; i < 10; i++) expect(await outcome(await wrong(i % 2 === 0 ? a : b))).toBe('403 FORBIDDEN');
		// Each instance alone saw 5, under the limits of 10: only shared counts refuse the next request
		// (this client is over its 10 for 10 minutes; the share, whose header says nothing readable, waits too).
		for (const via of [a, b]) {
			const locked = await api(via, `/shares/${share.id}/claim`, { method: 'POST', headers: bearer(share.read) });
			expect(await outcome(locked)).toBe('429 TOO_MANY_ATTEMPTS');
			expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(500);
		}
	});

	it('both sweepers running expire each share exactly once, delete its blob, and log no error', async () => {
		const shares = await Promise.all(Array.from({ length: 10 }, (_, i) => ready(i % 2 === 0 ? a : b, 1000)));
		const ids = shares.map((share) => share.id);
		const expireLines = () =>
			[...a.lines(), ...b.lines()].filter((line) => line.audit === 'share.expire' && ids.includes(String(line.shareId)));
		// Time passes in the database, as it would: both sweepers (every second) now find them due.
		await db.query('update shares set expires_at = $1 where id = any($2)', [Date.now() - 1000, ids]);

		await until(() => new Set(expireLines().map((line) => line.shareId)).size === ids.length, [a.output, b.output], 'data', {
			what: `share.expire lines for all ${ids.length} shares`,
			timeoutMs: 20_000
		});
		// Two more passes of each sweeper, so at least one whole pass began after the last expiry:
		// nothing may be expired a second time.
		const isPass = (line: Record<string, unknown>) => line.msg === 'sweep';
		await Promise.all(
			[a, b].map((instance) => {
				const from = instance.lines().length;
				return until(() => instance.lines().slice(from).filter(isPass).length >= 2, [instance.output], 'data', {
					what: 'two more sweeper passes'
				});
			})
		);

		expect(
			expireLines()
				.map((line) => line.shareId)
				.sort()
		).toEqual([...ids].sort());
		const { rows } = await db.query<{ n: string }>(
			`select count(*) as n from shares where id = any($1) and state = 'expired' and blob_gone = 1`,
			[ids]
		);
		expect(Number(rows[0]?.n), 'expired shares whose blob is gone').toBe(ids.length);
		for (const share of shares) {
			expect(await outcome(await api(share.id.charCodeAt(0) % 2 ? a : b, `/shares/${share.id}`))).toBe('410 EXPIRED');
		}
		expect(errors().map((line) => line.msg)).toEqual([]);
	}, 40_000);
});
