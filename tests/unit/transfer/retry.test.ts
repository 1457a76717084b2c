import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/lib/api/client';
import { withRetry } from '../../../src/lib/transfer/retry';

const quick = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 };

/** Fails once with `error`, then answers; resolves with the time between the two tries. */
async function gapAfter(error: Error): Promise<number> {
	const tries: number[] = [];
	await withRetry(async () => {
		tries.push(performance.now());
		if (tries.length === 1) throw error;
	}, undefined, quick);
	return tries[1]! - tries[0]!;
}

describe('withRetry', () => {
	it('waits at least the Retry-After a busy server sends before trying again', async () => {
		const busy = new ApiError('SERVER_BUSY', 'busy', 503, { retryAfter: 1 });
		expect(await gapAfter(busy)).toBeGreaterThanOrEqual(1000);
	});

	it('retries other transient failures on its own backoff', async () => {
		expect(await gapAfter(new ApiError('UNAVAILABLE', 'down', 503))).toBeLessThan(500);
	});

	it('gives up on refusals at once', async () => {
		let tries = 0;
		const refusal = new ApiError('FORBIDDEN', 'no', 403);
		await expect(
			withRetry(async () => {
				tries++;
				throw refusal;
			}, undefined, quick)
		).rejects.toBe(refusal);
		expect(tries).toBe(1);
	});
});
