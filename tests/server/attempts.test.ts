import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { Context } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../server/errors';
import { addressKey } from '../../server/http/client-address';
import { createLogger } from '../../server/logger';
import { AttemptLimiter, attemptKey, DEFAULT_ATTEMPT_LIMITS } from '../../server/shares/attempts';
import { FsBlobStore } from '../../server/stores/blob/fs';
import { Secret } from '../../server/stores/config';
import { openPostgresMetaStore } from '../../server/stores/meta/postgres';
import { openSqliteMetaStore } from '../../server/stores/meta/sqlite';
import type { MetaStore } from '../../server/stores/meta/types';
import { sweep } from '../../server/sweeper';
import { freshSchema } from '../support/postgres';
import { b64, bearer, claim, createHarness, FakeClock, outcome, readyShare, tempDir, testConfig, type Harness } from './helpers';

const MINUTE = 60_000;
const rules = {
	perShare: { max: 3, windowMs: 10 * MINUTE },
	perClient: { max: 5, windowMs: 10 * MINUTE }
};

async function refusal(action: () => Promise<void>): Promise<AppError | undefined> {
	try {
		await action();
		return undefined;
	} catch (error) {
		if (error instanceof AppError) return error;
		throw error;
	}
}

/** Two stores on one empty database: two server instances. */
interface Backend {
	a: MetaStore;
	b: MetaStore;
	/** The raw rows of the attempts table. */
	rows(): Promise<{ key: string; count: number }[]>;
	close(): Promise<void>;
}

async function sqliteBackend(): Promise<Backend> {
	const dir = await tempDir();
	const file = join(dir, 'sealdrop.sqlite');
	// Two connections to one file, as two processes would have; each upsert is one statement.
	const [a, b] = [await openSqliteMetaStore({ file }), await openSqliteMetaStore({ file })];
	return {
		a,
		b,
		async rows() {
			const db = new SQLite(file, { readonly: true });
			try {
				return db.prepare('select key, count from attempts').all() as { key: string; count: number }[];
			} finally {
				db.close();
			}
		},
		async close() {
			await Promise.all([a.close(), b.close()]);
			await rm(dir, { recursive: true, force: true });
		}
	};
}

async function postgresBackend(): Promise<Backend> {
	const schema = await freshSchema('attempts');
	const a = await openPostgresMetaStore({ url: new Secret(schema.url) });
	const b = await openPostgresMetaStore({ url: new Secret(schema.url) });
	return {
		a,
		b,
		async rows() {
			const { rows } = await schema.query<{ key: string; count: number }>('select key, count from attempts');
			return rows;
		},
		async close() {
			await Promise.all([a.close(), b.close()]);
			await schema.drop();
		}
	};
}

describe.each([
	{ name: 'sqlite', open: sqliteBackend },
	{ name: 'postgres', open: postgresBackend }
])('AttemptLimiter on $name', ({ open }) => {
	let backend: Backend;
	beforeAll(async () => {
		backend = await open();
	}, 30_000);
	afterAll(() => backend?.close());

	/** A share id no other test uses (the database is shared by the tests of this block). */
	const fresh = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

	it('locks a share after its wrong attempts until the window ends, with Retry-After', async () => {
		const clock = new FakeClock();
		const limiter = new AttemptLimiter(backend.a, clock, rules);
		const s1 = fresh('s1');
		for (let i = 0; i < 3; i++) {
			expect(await refusal(() => limiter.check(s1, 'a'))).toBeUndefined();
			await limiter.fail(s1, fresh('client')); // from three different clients: the share still counts them all
			clock.advance(MINUTE);
		}
		const error = await refusal(() => limiter.check(s1, 'someone-else'));
		expect(error?.code).toBe('TOO_MANY_ATTEMPTS');
		expect(error?.status).toBe(429);
		// The window began at the first failure, 3 minutes ago: 7 minutes left.
		expect(error?.headers).toEqual({ 'Retry-After': String(7 * 60) });
		expect(error?.details).toEqual({ retryAfter: 7 * 60 });
		// Other shares are not affected.
		expect(await refusal(() => limiter.check(fresh('s2'), 'someone-else'))).toBeUndefined();

		clock.advance(7 * MINUTE - 1000);
		expect((await refusal(() => limiter.check(s1, 'x')))?.headers).toEqual({ 'Retry-After': '1' });
		clock.advance(1000);
		expect(await refusal(() => limiter.check(s1, 'x'))).toBeUndefined();
		// A fresh window: one more failure does not lock it again.
		await limiter.fail(s1, 'x');
		expect(await refusal(() => limiter.check(s1, 'x'))).toBeUndefined();
	});

	it('locks a client across shares', async () => {
		const clock = new FakeClock();
		const limiter = new AttemptLimiter(backend.a, clock, rules);
		const mallory = fresh('mallory');
		for (let i = 0; i < 5; i++) await limiter.fail(fresh('share'), mallory);
		const share = fresh('share');
		expect((await refusal(() => limiter.check(share, mallory)))?.code).toBe('TOO_MANY_ATTEMPTS');
		expect(await refusal(() => limiter.check(share, fresh('alice')))).toBeUndefined();
		// An unknown client (no address) is only limited per share.
		expect(await refusal(() => limiter.check(share, undefined))).toBeUndefined();
		clock.advance(10 * MINUTE);
		expect(await refusal(() => limiter.check(share, mallory))).toBeUndefined();
	});

	it('counts concurrent failures on two instances exactly, and each instance sees the lock', async () => {
		const clock = new FakeClock();
		const onA = new AttemptLimiter(backend.a, clock, { ...rules, perShare: { max: 40, windowMs: 10 * MINUTE } });
		const onB = new AttemptLimiter(backend.b, clock, { ...rules, perShare: { max: 40, windowMs: 10 * MINUTE } });
		const share = fresh('busy');
		await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? onA : onB).fail(share, undefined)));
		const counted = (await backend.rows()).find((row) => row.key === attemptKey('share', share));
		expect(Number(counted?.count)).toBe(40);
		expect((await refusal(() => onA.check(share, undefined)))?.code).toBe('TOO_MANY_ATTEMPTS');
		expect((await refusal(() => onB.check(share, undefined)))?.code).toBe('TOO_MANY_ATTEMPTS');
	});

	it('keeps no client address or share id in clear', async () => {
		const limiter = new AttemptLimiter(backend.a, new FakeClock(), rules);
		await limiter.fail('share-in-clear', '203.0.113.77');
		const keys = (await backend.rows()).map((row) => row.key).join(' ');
		expect(keys).toContain(attemptKey('client', '203.0.113.77'));
		expect(keys).not.toContain('203.0.113.77');
		expect(keys).not.toContain('share-in-clear');
	});
});

describe('the sweeper and wrong-token windows', () => {
	it('deletes the counters whose window ended, keeps the running ones', async () => {
		const dir = await tempDir();
		const config = testConfig(dir);
		const meta = await openSqliteMetaStore({ file: join(config.dataDir, 'sealdrop.sqlite') });
		try {
			const clock = new FakeClock();
			const limiter = new AttemptLimiter(meta, clock, rules);
			await limiter.fail('old', 'client-1');
			clock.advance(5 * MINUTE);
			await limiter.fail('new', undefined);
			clock.advance(5 * MINUTE); // "old" and client-1 end now; "new" has 5 minutes left
			const keys = [attemptKey('share', 'old'), attemptKey('client', 'client-1'), attemptKey('share', 'new')];
			expect(await meta.attemptCounts(keys, 0)).toHaveLength(3);
			const blobs = await FsBlobStore.open(join(config.dataDir, 'blobs'));
			await sweep({ config, clock, meta, blobs, logger: createLogger('silent') });
			expect((await meta.attemptCounts(keys, 0)).map((counter) => counter.key)).toEqual([attemptKey('share', 'new')]);
		} finally {
			await meta.close();
			await rm(dir, { recursive: true, force: true });
		}
	});
});

describe('defaults', () => {
	it('are generous enough for people and proxies', () => {
		expect(DEFAULT_ATTEMPT_LIMITS.perShare.max).toBeGreaterThanOrEqual(5);
		expect(DEFAULT_ATTEMPT_LIMITS.perClient.max).toBeGreaterThan(DEFAULT_ATTEMPT_LIMITS.perShare.max);
	});
});

describe('client addresses', () => {
	it('groups IPv6 by /64 and unwraps IPv4-mapped addresses', () => {
		expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
		expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
		expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
		expect(addressKey('2001:0db8:0001:0002:ffff:0:0:9')).toBe('2001:db8:1:2::/64');
		expect(addressKey('::1')).toBe('0:0:0:0::/64');
		expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
	});
});

describe('wrong read tokens over HTTP', () => {
	let h: Harness;
	afterEach(async () => {
		await h?.close();
	});

	/** Tests name the client in a header; the real server uses the TCP peer. */
	const fromHeader = (c: Context) => c.req.header('x-test-client');

	it('answers 429 TOO_MANY_ATTEMPTS after 10 wrong tokens for a share, without spending a download', async () => {
		h = await createHarness({ app: { clientAddress: fromHeader } });
		const share = await readyShare(h, { maxDownloads: 1 });
		const wrong = (path: string, client: string, method = 'GET') =>
			h.api(`/shares/${share.id}${path}`, { method, headers: { ...bearer(b64(randomBytes(32))), 'x-test-client': client } });

		for (let i = 0; i < 10; i++) {
			expect(await outcome(await wrong(i % 2 ? '/metadata' : '/claim', `10.0.0.${i}`, i % 2 ? 'GET' : 'POST'))).toBe('403 FORBIDDEN');
		}
		const locked = await wrong('/metadata', '10.0.1.1');
		expect(locked.status).toBe(429);
		expect(Number(locked.headers.get('retry-after'))).toBe(600);
		expect(await outcome(locked)).toBe('429 TOO_MANY_ATTEMPTS');
		// While locked, even the right token is not evaluated: otherwise the lock would not stop guessing.
		const right = await h.api(`/shares/${share.id}/claim`, { method: 'POST', headers: bearer(share.readToken) });
		expect(await outcome(right)).toBe('429 TOO_MANY_ATTEMPTS');
		// Public info still works and nothing was spent.
		expect(await (await h.api(`/shares/${share.id}`)).json()).toMatchObject({ downloads: 0, downloadsLeft: 1 });

		h.clock.advance(10 * MINUTE);
		expect((await claim(h, share)).downloadsLeft).toBe(0);
	});

	it('limits one client across shares (30 wrong tokens), not the others', async () => {
		h = await createHarness({ app: { clientAddress: fromHeader } });
		const shares = await Promise.all([0, 1, 2, 3].map(() => readyShare(h, { maxDownloads: 2 })));
		for (let i = 0; i < 30; i++) {
			const share = shares[i % 4]!;
			const response = await h.api(`/shares/${share.id}/metadata`, {
				headers: { ...bearer(b64(randomBytes(32))), 'x-test-client': 'mallory' }
			});
			expect(await outcome(response)).toBe('403 FORBIDDEN');
		}
		const fresh = await readyShare(h, { maxDownloads: 2 });
		const asMallory = await h.api(`/shares/${fresh.id}/metadata`, { headers: { ...bearer(fresh.readToken), 'x-test-client': 'mallory' } });
		expect(await outcome(asMallory)).toBe('429 TOO_MANY_ATTEMPTS');
		const asAlice = await h.api(`/shares/${fresh.id}/metadata`, { headers: { ...bearer(fresh.readToken), 'x-test-client': 'alice' } });
		expect(asAlice.status).toBe(200);
	}, 20_000); // 30+ requests, each a database write: slow on a loaded CI machine

	it('counts nothing for right tokens, unknown shares or malformed headers', async () => {
		h = await createHarness({ app: { clientAddress: fromHeader } });
		const share = await readyShare(h, { maxDownloads: 2 });
		for (let i = 0; i < 20; i++) {
			const response = await h.api(`/shares/${share.id}/metadata`, { headers: { ...bearer(share.readToken), 'x-test-client': 'bob' } });
			expect(response.status).toBe(200);
			expect(await outcome(await h.api(`/shares/${share.id}/metadata`, { headers: { authorization: 'nope' } }))).toBe(
				'401 UNAUTHORIZED'
			);
		}
		expect((await claim(h, share)).downloads).toBe(1);
	});
});
