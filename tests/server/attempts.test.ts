import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { Context, Hono } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../server/errors';
import { addressKey } from '../../server/http/client-address';
import { createLogger } from '../../server/logger';
import { createApp } from '../../server/app';
import {
	AttemptLimiter,
	attemptKey,
	backoffMs,
	DEFAULT_ATTEMPT_LIMITS,
	passwordProtected,
	type AttemptLimiterOptions
} from '../../server/shares/attempts';
import { FsBlobStore } from '../../server/stores/blob/fs';
import { Secret } from '../../server/config/stores';
import { openPostgresMetaStore } from '../../server/stores/meta/postgres';
import { openSqliteMetaStore } from '../../server/stores/meta/sqlite';
import type { MetaStore } from '../../server/stores/meta/types';
import { sweep } from '../../server/sweeper';
import { encodeHeader } from '../../src/lib/crypto/header';
import { DEFAULT_ARGON2 } from '../../src/lib/crypto/constants';
import type { CreateShareResponse } from '../../src/lib/api/types';
import { freshSchema } from '../support/postgres';
import {
	API,
	asBody,
	b64,
	bearer,
	claim,
	createBody,
	createHarness,
	FakeClock,
	jsonInit,
	outcome,
	readyShare,
	tempDir,
	testConfig,
	type ClientShare,
	type Harness
} from './helpers';
import { describeWithServices, withServices } from '../support/tier';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const rules: AttemptLimiterOptions = {
	perClient: { max: 5, windowMs: 10 * MINUTE },
	perPasswordShare: { free: 3, firstDelayMs: 1000, maxDelayMs: 8000, forgetAfterMs: HOUR }
};

/** A real version-1 header (FORMAT.md §2), with or without a password. */
function header(password: boolean): Uint8Array {
	return encodeHeader({
		version: 1,
		recordSize: 65536,
		salt: randomBytes(32),
		kdf: password ? { ...DEFAULT_ARGON2 } : null,
		commitment: randomBytes(32)
	});
}

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

describe.each([{ name: 'sqlite', open: sqliteBackend }, ...withServices({ name: 'postgres', open: postgresBackend })])(
	'AttemptLimiter on $name',
	({ open }) => {
		let backend: Backend;
		beforeAll(async () => {
			backend = await open();
		}, 30_000);
		afterAll(() => backend?.close());

		/** A share id no other test uses (the database is shared by the tests of this block). */
		const fresh = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;
		const share = (label: string, password: boolean) => ({ id: fresh(label), header: header(password) });
		const retryAfter = async (action: () => Promise<void>) => (await refusal(action))?.headers?.['Retry-After'];

		it('never refuses a share without a password for its wrong tokens, and stores no counter for it', async () => {
			const limiter = new AttemptLimiter(backend.a.attempts, new FakeClock(), rules);
			const open = share('open', false);
			for (let i = 0; i < 50; i++) await limiter.fail(open, fresh('client'));
			expect(await refusal(() => limiter.check(open, 'alice'))).toBeUndefined();
			expect((await backend.rows()).map((row) => row.key)).not.toContain(attemptKey('share', open.id));
		});

		it('makes a password share wait after its free guesses, doubling up to the cap, with an honest Retry-After', async () => {
			const clock = new FakeClock();
			const limiter = new AttemptLimiter(backend.a.attempts, clock, rules);
			const locked = share('locked', true);
			for (let i = 0; i < 3; i++) {
				expect(await refusal(() => limiter.check(locked, 'a'))).toBeUndefined();
				await limiter.fail(locked, fresh('client')); // from different clients: the share counts them all
				clock.advance(MINUTE);
			}
			// The third wrong guess was a minute ago and its 1 s wait is over; no lock lingers.
			expect(await refusal(() => limiter.check(locked, 'b'))).toBeUndefined();
			for (const seconds of [2, 4, 8, 8, 8]) {
				await limiter.fail(locked, fresh('client'));
				const error = await refusal(() => limiter.check(locked, 'someone-else'));
				expect(error?.code).toBe('TOO_MANY_ATTEMPTS');
				expect(error?.status).toBe(429);
				expect(error?.headers).toEqual({ 'Retry-After': String(seconds) });
				expect(error?.details).toEqual({ retryAfter: seconds, limit: 'share' });
				// Honest: refused until exactly then, and not a moment longer.
				clock.advance(seconds * 1000 - 1);
				expect(await retryAfter(() => limiter.check(locked, 'x'))).toBe('1');
				clock.advance(1);
				expect(await refusal(() => limiter.check(locked, 'x'))).toBeUndefined();
			}
			// Other shares are not affected.
			const other = share('other', true);
			await limiter.fail(locked, fresh('client'));
			expect(await refusal(() => limiter.check(other, 'someone-else'))).toBeUndefined();
		});

		it("forgets a password share's count after an hour without a wrong guess", async () => {
			const clock = new FakeClock();
			const limiter = new AttemptLimiter(backend.a.attempts, clock, rules);
			const quiet = share('quiet', true);
			for (let i = 0; i < 5; i++) await limiter.fail(quiet, fresh('client'));
			expect(await retryAfter(() => limiter.check(quiet, 'x'))).toBe('4');
			clock.advance(HOUR - 1000);
			await limiter.fail(quiet, fresh('client')); // still counting: the hour starts again
			expect(await retryAfter(() => limiter.check(quiet, 'x'))).toBe('8');
			clock.advance(HOUR);
			expect(await refusal(() => limiter.check(quiet, 'x'))).toBeUndefined();
			await limiter.fail(quiet, fresh('client')); // a fresh count: one of the three free guesses
			expect(await refusal(() => limiter.check(quiet, 'x'))).toBeUndefined();
		});

		it('locks a client across shares, with or without a password, and only that client', async () => {
			const clock = new FakeClock();
			const limiter = new AttemptLimiter(backend.a.attempts, clock, rules);
			const mallory = fresh('mallory');
			for (let i = 0; i < 5; i++) await limiter.fail(share('share', i % 2 === 0), mallory);
			clock.advance(3 * MINUTE);
			for (const password of [false, true]) {
				const target = share('share', password);
				const error = await refusal(() => limiter.check(target, mallory));
				expect(error?.code).toBe('TOO_MANY_ATTEMPTS');
				expect(error?.headers).toEqual({ 'Retry-After': String(7 * 60) });
				expect(error?.details).toEqual({ retryAfter: 7 * 60, limit: 'client' });
				expect(await refusal(() => limiter.check(target, fresh('alice')))).toBeUndefined();
				// An unknown client (no address) is only limited per password share.
				expect(await refusal(() => limiter.check(target, undefined))).toBeUndefined();
			}
			clock.advance(7 * MINUTE);
			expect(await refusal(() => limiter.check(share('share', true), mallory))).toBeUndefined();
		});

		it('counts concurrent failures on two instances exactly, and each instance sees the wait', async () => {
			const clock = new FakeClock();
			const onA = new AttemptLimiter(backend.a.attempts, clock, rules);
			const onB = new AttemptLimiter(backend.b.attempts, clock, rules);
			const busy = share('busy', true);
			await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? onA : onB).fail(busy, undefined)));
			const counted = (await backend.rows()).find((row) => row.key === attemptKey('share', busy.id));
			expect(Number(counted?.count)).toBe(40);
			expect(await retryAfter(() => onA.check(busy, undefined))).toBe('8');
			expect(await retryAfter(() => onB.check(busy, undefined))).toBe('8');
		});

		it('keeps no client address or share id in clear', async () => {
			const limiter = new AttemptLimiter(backend.a.attempts, new FakeClock(), rules);
			await limiter.fail({ id: 'share-in-clear', header: header(true) }, '203.0.113.77');
			const keys = (await backend.rows()).map((row) => row.key).join(' ');
			expect(keys).toContain(attemptKey('client', '203.0.113.77'));
			expect(keys).toContain(attemptKey('share', 'share-in-clear'));
			expect(keys).not.toContain('203.0.113.77');
			expect(keys).not.toContain('share-in-clear');
		});
	}
);

describe('which shares have a password', () => {
	it('reads the kdf byte of a version-1 or version-2 header, and assumes a password for any header it cannot read', () => {
		expect(passwordProtected(header(false))).toBe(false);
		expect(passwordProtected(header(true))).toBe(true);
		for (const [password, expected] of [
			[false, false],
			[true, true]
		] as const) {
			const v2 = header(password);
			v2[4] = 2;
			expect(passwordProtected(v2)).toBe(expected);
		}
		const future = header(false);
		future[4] = 3; // a later format version: its layout is unknown here
		expect(passwordProtected(future)).toBe(true);
		expect(passwordProtected(new Uint8Array(83).fill(7))).toBe(true);
		expect(passwordProtected(null)).toBe(true);
	});
});

describe('the sweeper and wrong-token windows', () => {
	it('deletes the counters whose window ended, keeps the running ones', async () => {
		const dir = await tempDir();
		const config = testConfig(dir);
		const meta = await openSqliteMetaStore({ file: join(config.dataDir, 'sealdrop.sqlite') });
		try {
			const clock = new FakeClock();
			const limiter = new AttemptLimiter(meta.attempts, clock, rules);
			await limiter.fail({ id: 'old', header: header(true) }, 'client-1');
			clock.advance(30 * MINUTE);
			await limiter.fail({ id: 'new', header: header(true) }, undefined);
			clock.advance(30 * MINUTE); // client-1's window ended long ago, "old" has been quiet for its hour; "new" has 30 minutes left
			const keys = [attemptKey('share', 'old'), attemptKey('client', 'client-1'), attemptKey('share', 'new')];
			expect(await meta.attempts.counts(keys, 0)).toHaveLength(3);
			const blobs = await FsBlobStore.open(join(config.dataDir, 'blobs'));
			await sweep({ config, clock, meta, blobs, logger: createLogger('silent') });
			expect((await meta.attempts.counts(keys, 0)).map((counter) => counter.key)).toEqual([attemptKey('share', 'new')]);
		} finally {
			await meta.close();
			await rm(dir, { recursive: true, force: true });
		}
	});
});

describe('defaults', () => {
	it('limit each client first, and keep a recipient out of a password share for minutes at most', () => {
		const { perClient, perPasswordShare } = DEFAULT_ATTEMPT_LIMITS;
		expect(perClient.max).toBeGreaterThanOrEqual(5);
		expect(perPasswordShare.free).toBeGreaterThanOrEqual(perClient.max);
		expect(perPasswordShare.maxDelayMs).toBeLessThanOrEqual(5 * MINUTE);
		// A guesser spreading over many addresses, guessing as soon as allowed (before: 60 an hour, and the recipient locked out throughout).
		const guesses: number[] = [];
		for (let t = 0; t < 3 * HOUR; t += backoffMs(perPasswordShare, guesses.length)) guesses.push(t);
		const within = (from: number, to: number) => guesses.filter((t) => t >= from && t < to).length;
		expect([within(0, HOUR / 2), within(0, HOUR), within(2 * HOUR, 3 * HOUR)]).toEqual([23, 29, 12]);
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

	const wrongToken = () => b64(randomBytes(32));
	/** Metadata (or a claim) of `share` with `token`, from the client address `client`. */
	const read = (share: ClientShare, token: string, client: string, path: '/metadata' | '/claim' = '/metadata') =>
		h.api(`/shares/${share.id}${path}`, {
			method: path === '/claim' ? 'POST' : 'GET',
			headers: { ...bearer(token), 'x-test-client': client }
		});

	it('a share without a password keeps serving the right token after 50 wrong ones from many addresses', async () => {
		h = await createHarness({ app: { clientAddress: fromHeader } });
		const share = await readyShare(h, { maxDownloads: 1, header: header(false) });
		for (let i = 0; i < 50; i++) {
			const wrong = await read(share, wrongToken(), `10.0.${i}.1`, i % 2 ? '/metadata' : '/claim');
			expect(await outcome(wrong)).toBe('403 FORBIDDEN');
		}
		// One address over its own limit is refused, for its own requests only.
		for (let i = 0; i < 10; i++) expect(await outcome(await read(share, wrongToken(), 'mallory'))).toBe('403 FORBIDDEN');
		expect(await outcome(await read(share, share.readToken, 'mallory'))).toBe('429 TOO_MANY_ATTEMPTS');
		expect(await outcome(await read(share, share.readToken, 'alice'))).toBe('200');
		expect(await outcome(await read(share, share.readToken, 'alice', '/claim'))).toBe('200');
	}, 30_000); // 60+ requests, each a database write: slow on a loaded CI machine

	it("a password share: one client is stopped by its own limit first, and its refusals do not grow the share's wait", async () => {
		h = await createHarness({ app: { clientAddress: fromHeader } });
		const share = await readyShare(h, { maxDownloads: 2, header: header(true) });
		for (let i = 0; i < 10; i++) expect(await outcome(await read(share, wrongToken(), 'mallory'))).toBe('403 FORBIDDEN');
		const stopped = await read(share, share.readToken, 'mallory');
		expect(stopped.headers.get('retry-after')).toBe('600');
		expect(await outcome(stopped)).toBe('429 TOO_MANY_ATTEMPTS');
		for (let i = 0; i < 20; i++) expect(await outcome(await read(share, wrongToken(), 'mallory'))).toBe('429 TOO_MANY_ATTEMPTS');
		// The share waits a second after its tenth wrong guess: the recipient is kept out that long, no longer.
		const waiting = await read(share, share.readToken, 'alice');
		expect(waiting.headers.get('retry-after')).toBe('1');
		expect(await outcome(waiting)).toBe('429 TOO_MANY_ATTEMPTS');
		h.clock.advance(1000);
		expect(await outcome(await read(share, share.readToken, 'alice'))).toBe('200');
		// Public info is never limited, and nothing was spent.
		expect(await (await h.api(`/shares/${share.id}`)).json()).toMatchObject({ downloads: 0, downloadsLeft: 2 });
	}, 20_000);

	it('a password share waits longer after each further wrong guess from anyone, and Retry-After says exactly how long', async () => {
		h = await createHarness({ app: { clientAddress: fromHeader } });
		const share = await readyShare(h, { maxDownloads: 1, header: header(true) });
		let clients = 0;
		const someone = () => `10.1.${clients >> 8}.${clients++ & 255}`;
		for (let i = 0; i < 10; i++) expect(await outcome(await read(share, wrongToken(), someone()))).toBe('403 FORBIDDEN');
		for (const seconds of [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]) {
			// While the share waits, even the right token is not looked at: otherwise the wait would not stop guessing.
			const refused = await read(share, share.readToken, someone(), '/claim');
			expect(refused.headers.get('retry-after')).toBe(String(seconds));
			expect(await outcome(refused)).toBe('429 TOO_MANY_ATTEMPTS');
			h.clock.advance(seconds * 1000 - 1);
			expect((await read(share, share.readToken, someone())).headers.get('retry-after')).toBe('1');
			h.clock.advance(1);
			expect(await outcome(await read(share, wrongToken(), someone()))).toBe('403 FORBIDDEN');
		}
		// Twenty-one wrong guesses in 18.5 minutes (511 s + 2 × 300 s); the recipient then waits 5 minutes at most.
		h.clock.advance(5 * MINUTE);
		expect((await claim(h, share)).downloadsLeft).toBe(0);
	}, 30_000);

	it('counts nothing for right tokens, unknown shares or malformed headers', async () => {
		h = await createHarness({ app: { clientAddress: fromHeader } });
		const share = await readyShare(h, { maxDownloads: 2 });
		for (let i = 0; i < 20; i++) {
			const response = await h.api(`/shares/${share.id}/metadata`, { headers: { ...bearer(share.readToken), 'x-test-client': 'bob' } });
			expect(response.status).toBe(200);
			expect(await outcome(await h.api(`/shares/${share.id}/metadata`, { headers: { authorization: 'nope' } }))).toBe('401 UNAUTHORIZED');
		}
		expect((await claim(h, share)).downloads).toBe(1);
	});
});

describeWithServices('two app instances on one PostgreSQL schema', () => {
	const fromHeader = (c: Context) => c.req.header('x-test-client');

	it('count wrong tokens together: per password share and per client', async () => {
		const dir = await tempDir();
		const config = testConfig(dir);
		const schema = await freshSchema('attempts-http');
		const metas = [
			await openPostgresMetaStore({ url: new Secret(schema.url) }),
			await openPostgresMetaStore({ url: new Secret(schema.url) })
		];
		try {
			const blobs = await FsBlobStore.open(join(config.dataDir, 'blobs'));
			const clock = new FakeClock();
			const [a, b] = metas.map((meta) =>
				createApp({ config, clock, meta, blobs, logger: createLogger('silent'), clientAddress: fromHeader })
			) as [Hono, Hono];
			const call = (app: Hono, path: string, init?: RequestInit) => app.request(API + path, init);
			async function ready(password: boolean) {
				const tokens = { owner: randomBytes(32), read: randomBytes(32) };
				const body = createBody({ size: 1000, partSize: 1000, maxDownloads: 10, header: header(password) }, tokens);
				const response = await call(a, '/shares', jsonInit('POST', body));
				expect(response.status, await response.clone().text()).toBe(201);
				const created = (await response.json()) as CreateShareResponse;
				const owner = bearer(b64(tokens.owner));
				expect(
					(await call(b, `/shares/${created.id}/parts/0`, { method: 'PUT', body: asBody(randomBytes(1000)), headers: owner })).status
				).toBe(200);
				expect((await call(a, `/shares/${created.id}/complete`, { method: 'POST', headers: owner })).status).toBe(200);
				return { id: created.id, read: b64(tokens.read) };
			}
			const read = (app: Hono, share: { id: string }, token: string, client: string) =>
				call(app, `/shares/${share.id}/metadata`, { headers: { ...bearer(token), 'x-test-client': client } });

			// Ten wrong guesses at a password share, five through each instance: both make the next wait.
			const locked = await ready(true);
			for (let i = 0; i < 10; i++)
				expect(await outcome(await read(i % 2 ? a : b, locked, wrongToken(), `10.3.0.${i}`))).toBe('403 FORBIDDEN');
			for (const app of [a, b]) {
				const refused = await read(app, locked, locked.read, 'alice');
				expect(refused.headers.get('retry-after')).toBe('1');
				expect(await outcome(refused)).toBe('429 TOO_MANY_ATTEMPTS');
			}

			// Ten wrong tokens from one client, five through each instance: both refuse that client, and only it.
			const open = await ready(false);
			for (let i = 0; i < 10; i++) expect(await outcome(await read(i % 2 ? a : b, open, wrongToken(), 'mallory'))).toBe('403 FORBIDDEN');
			for (const app of [a, b]) {
				expect(await outcome(await read(app, open, open.read, 'mallory'))).toBe('429 TOO_MANY_ATTEMPTS');
				expect(await outcome(await read(app, open, open.read, 'alice'))).toBe('200');
			}
		} finally {
			await Promise.all(metas.map((meta) => meta.close()));
			await schema.drop();
			await rm(dir, { recursive: true, force: true });
		}
	}, 30_000);

	const wrongToken = () => b64(randomBytes(32));
});
