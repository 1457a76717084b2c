import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/lib/api/client';
import {
	DEFAULT_RETRY,
	isTransient,
	parseRetryAfter,
	retryAfterMs,
	retryDelayMs,
	sleep,
	withRetry,
	type RetryEnv
} from '../../../src/lib/transfer/retry';

/** The one retry policy (uploads and downloads), with an injected clock, sleep and random source: nothing waits. */

const NOW = Date.parse('2026-03-01T12:00:00Z');
const policy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 1500 };

/** Records each wait and returns at once. */
function fakeEnv(random = 0): RetryEnv & { waits: number[] } {
	const waits: number[] = [];
	return { waits, random: () => random, now: () => NOW, sleep: async (ms) => void waits.push(ms) };
}

const busy = (retryAfter?: string, details?: Record<string, unknown>) => new ApiError('SERVER_BUSY', 'busy', 503, details, retryAfter);

describe('Retry-After', () => {
	it('reads delay-seconds and HTTP-dates; a past date is 0; anything else is nothing', () => {
		expect(parseRetryAfter('7', NOW)).toBe(7000);
		expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
		expect(parseRetryAfter('Sun, 01 Mar 2026 12:00:30 GMT', NOW)).toBe(30_000);
		expect(parseRetryAfter('Sun, 01 Mar 2026 11:59:00 GMT', NOW)).toBe(0);
		for (const bad of ['', 'soon', '1.5', '-3', '5s']) expect(parseRetryAfter(bad, NOW)).toBeNull();
	});

	it('takes the header first, then the body’s retryAfter seconds, capped at a minute', () => {
		expect(retryAfterMs(busy('2', { retryAfter: 9 }), NOW)).toBe(2000);
		expect(retryAfterMs(busy(undefined, { retryAfter: 9 }), NOW)).toBe(9000);
		expect(retryAfterMs(busy('junk', { retryAfter: 9 }), NOW)).toBe(9000);
		expect(retryAfterMs(busy('Sun, 01 Mar 2026 12:00:05 GMT'), NOW)).toBe(5000);
		expect(retryAfterMs(busy('3600'), NOW)).toBe(60_000);
		expect(retryAfterMs(busy(), NOW)).toBe(0);
		expect(retryAfterMs(new TypeError('fetch failed'), NOW)).toBe(0);
	});
});

describe('which failures are retried', () => {
	const cases: [string, unknown, boolean][] = [
		['network (fetch TypeError)', new TypeError('fetch failed'), true],
		['NETWORK', new ApiError('NETWORK', 'x'), true],
		['UNAVAILABLE 503', new ApiError('UNAVAILABLE', 'x', 503), true],
		['SERVER_BUSY 503', busy('1'), true],
		['INTERNAL 500', new ApiError('INTERNAL', 'x', 500), true],
		['bad gateway 502', new ApiError('BAD_RESPONSE', 'x', 502), true],
		['RATE_LIMITED with Retry-After', new ApiError('RATE_LIMITED', 'x', 429, { retryAfter: 30 }, '30'), true],
		['RATE_LIMITED saying nothing of when', new ApiError('RATE_LIMITED', 'x', 429), false],
		['TOO_MANY_ATTEMPTS (wrong tokens)', new ApiError('TOO_MANY_ATTEMPTS', 'x', 429, { retryAfter: 30 }, '30'), false],
		['FORBIDDEN', new ApiError('FORBIDDEN', 'x', 403), false],
		['RANGE_NOT_SATISFIABLE', new ApiError('RANGE_NOT_SATISFIABLE', 'x', 416), false],
		['ABORTED', new ApiError('ABORTED', 'x'), false],
		['any other error', new Error('x'), false]
	];
	for (const [name, err, retried] of cases) {
		it(`${name}: ${retried ? 'retried' : 'not retried'}`, () => expect(isTransient(err)).toBe(retried));
	}
});

describe('the wait before the next try', () => {
	const network = new TypeError('fetch failed');

	it('doubles per failure up to the cap, jittered between half and all of the step', () => {
		const low = fakeEnv(0);
		const high = fakeEnv(1 - 2 ** -20);
		expect([1, 2, 3, 4].map((n) => retryDelayMs(network, n, policy, low))).toEqual([250, 500, 750, 750]);
		const highs = [1, 2, 3, 4].map((n) => retryDelayMs(network, n, policy, high));
		[500, 1000, 1500, 1500].forEach((step, i) => {
			expect(highs[i]).toBeLessThan(step);
			expect(highs[i]).toBeGreaterThan(step * 0.999);
		});
	});

	it('waits at least the Retry-After, plus up to a quarter more', () => {
		expect(retryDelayMs(busy('4'), 1, policy, fakeEnv(0))).toBe(4000);
		expect(retryDelayMs(busy('4'), 1, policy, fakeEnv(0.5))).toBe(4500);
		expect(retryDelayMs(busy('4'), 1, policy, fakeEnv(1 - 2 ** -20))).toBeLessThan(5000);
		// A short hint does not cut the backoff short.
		expect(retryDelayMs(busy('0'), 3, policy, fakeEnv(0))).toBe(750);
		expect(retryDelayMs(new ApiError('UNAVAILABLE', 'x', 503, undefined, 'Sun, 01 Mar 2026 12:00:10 GMT'), 1, policy, fakeEnv(0))).toBe(
			10_000
		);
	});

	it('is the same policy by default for everyone: 8 tries from 500 ms up to 15 s', () => {
		expect(DEFAULT_RETRY).toEqual({ attempts: 8, baseDelayMs: 500, maxDelayMs: 15_000 });
	});
});

describe('withRetry', () => {
	it('retries transient failures until one succeeds, waiting between tries', async () => {
		const env = fakeEnv(0);
		const seen: number[] = [];
		const result = await withRetry(
			async (attempt) => {
				seen.push(attempt);
				if (attempt < 3) throw busy('2');
				return 'done';
			},
			undefined,
			policy,
			env
		);
		expect(result).toBe('done');
		expect(seen).toEqual([1, 2, 3]);
		expect(env.waits).toEqual([2000, 2000]);
	});

	it('gives up after the last attempt with the last failure', async () => {
		const env = fakeEnv(0);
		let tries = 0;
		const last = new ApiError('UNAVAILABLE', 'down', 503);
		await expect(
			withRetry(
				async () => {
					tries++;
					throw tries === policy.attempts ? last : new ApiError('UNAVAILABLE', 'down', 503);
				},
				undefined,
				policy,
				env
			)
		).rejects.toBe(last);
		expect(tries).toBe(policy.attempts);
		expect(env.waits).toHaveLength(policy.attempts - 1);
	});

	it('gives up on refusals at once', async () => {
		const env = fakeEnv(0);
		let tries = 0;
		const refusal = new ApiError('FORBIDDEN', 'no', 403);
		await expect(
			withRetry(
				async () => {
					tries++;
					throw refusal;
				},
				undefined,
				policy,
				env
			)
		).rejects.toBe(refusal);
		expect(tries).toBe(1);
		expect(env.waits).toEqual([]);
	});

	it('stops with ABORTED when cancelled during a wait, and tries no more', async () => {
		const controller = new AbortController();
		let tries = 0;
		let sleeping!: () => void;
		const asleep = new Promise<void>((resolve) => (sleeping = resolve));
		// The real sleep, told to wait a minute: only the abort can end it.
		const env: RetryEnv = { ...fakeEnv(0), sleep: (ms, signal) => (sleeping(), sleep(ms, signal)) };
		const run = withRetry(
			async () => {
				tries++;
				throw busy('60');
			},
			controller.signal,
			policy,
			env
		);
		await asleep;
		controller.abort();
		await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
		expect(tries).toBe(1);
	});

	it('does not wait at all once already cancelled', async () => {
		const controller = new AbortController();
		controller.abort();
		const env = fakeEnv(0);
		const failure = busy('1');
		await expect(
			withRetry(
				async () => {
					throw failure;
				},
				controller.signal,
				policy,
				env
			)
		).rejects.toBe(failure);
		expect(env.waits).toEqual([]);
		await expect(sleep(60_000, controller.signal)).rejects.toMatchObject({ code: 'ABORTED' });
	});
});
