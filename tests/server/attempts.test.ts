import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../server/errors';
import { addressKey } from '../../server/http/client-address';
import { AttemptLimiter, DEFAULT_ATTEMPT_LIMITS } from '../../server/shares/attempts';
import { b64, bearer, claim, createHarness, FakeClock, outcome, readyShare, type Harness } from './helpers';

const MINUTE = 60_000;
const rules = {
	perShare: { max: 3, windowMs: 10 * MINUTE },
	perClient: { max: 5, windowMs: 10 * MINUTE },
	maxEntries: 100
};

function refusal(action: () => void): AppError | undefined {
	try {
		action();
		return undefined;
	} catch (error) {
		if (error instanceof AppError) return error;
		throw error;
	}
}

describe('AttemptLimiter', () => {
	it('locks a share after its wrong attempts until the window ends, with Retry-After', () => {
		const clock = new FakeClock();
		const limiter = new AttemptLimiter(clock, rules);
		for (let i = 0; i < 3; i++) {
			expect(refusal(() => limiter.check('s1', 'a'))).toBeUndefined();
			limiter.fail('s1', `client-${i}`); // from three different clients: the share still counts them all
			clock.advance(MINUTE);
		}
		const error = refusal(() => limiter.check('s1', 'someone-else'));
		expect(error?.code).toBe('TOO_MANY_ATTEMPTS');
		expect(error?.status).toBe(429);
		// The window began at the first failure, 3 minutes ago: 7 minutes left.
		expect(error?.headers).toEqual({ 'Retry-After': String(7 * 60) });
		expect(error?.details).toEqual({ retryAfter: 7 * 60 });
		// Other shares are not affected.
		expect(refusal(() => limiter.check('s2', 'someone-else'))).toBeUndefined();

		clock.advance(7 * MINUTE - 1000);
		expect(refusal(() => limiter.check('s1', 'x'))?.headers).toEqual({ 'Retry-After': '1' });
		clock.advance(1000);
		expect(refusal(() => limiter.check('s1', 'x'))).toBeUndefined();
		// A fresh window: one more failure does not lock it again.
		limiter.fail('s1', 'x');
		expect(refusal(() => limiter.check('s1', 'x'))).toBeUndefined();
	});

	it('locks a client across shares', () => {
		const clock = new FakeClock();
		const limiter = new AttemptLimiter(clock, rules);
		for (let i = 0; i < 5; i++) limiter.fail(`share-${i}`, 'mallory');
		expect(refusal(() => limiter.check('fresh-share', 'mallory'))?.code).toBe('TOO_MANY_ATTEMPTS');
		expect(refusal(() => limiter.check('fresh-share', 'alice'))).toBeUndefined();
		// An unknown client (no address) is only limited per share.
		expect(refusal(() => limiter.check('fresh-share', undefined))).toBeUndefined();
		clock.advance(10 * MINUTE);
		expect(refusal(() => limiter.check('fresh-share', 'mallory'))).toBeUndefined();
	});

	it('keeps memory bounded under a flood of distinct keys', () => {
		const clock = new FakeClock();
		const limiter = new AttemptLimiter(clock, rules);
		for (let i = 0; i < 1000; i++) limiter.fail(`share-${i}`, `client-${i}`);
		expect(limiter.size).toBeLessThanOrEqual(rules.maxEntries);
	});

	it('has defaults generous enough for people and proxies', () => {
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
	});

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
