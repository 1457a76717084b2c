import { ApiError } from '../api/client';

export interface RetryPolicy {
	attempts: number;
	baseDelayMs: number;
	maxDelayMs: number;
}

/** Enough to ride out a dropped Wi-Fi or a server restart (about a minute in all). */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 500, maxDelayMs: 15_000 };

/** A failure worth another try: the network or a briefly unavailable server, never a refusal. */
export function isTransient(err: unknown): boolean {
	if (err instanceof ApiError) return err.transient || err.status >= 500;
	return err instanceof TypeError; // fetch's network failure, or a body stream cut mid-way
}

/** Longest server-requested wait honoured; beyond it the normal backoff decides. */
const MAX_RETRY_AFTER_MS = 60_000;

/** The server's Retry-After, which its error bodies repeat as `details.retryAfter` (seconds); 0 if none. */
export function retryAfterMs(err: unknown): number {
	const seconds = err instanceof ApiError ? err.details?.retryAfter : undefined;
	return typeof seconds === 'number' && seconds > 0 ? Math.min(seconds * 1000, MAX_RETRY_AFTER_MS) : 0;
}

/** Runs `fn` until it succeeds, retrying transient failures with exponential backoff and jitter. */
export async function withRetry<T>(
	fn: (attempt: number) => Promise<T>,
	signal?: AbortSignal,
	policy: RetryPolicy = DEFAULT_RETRY
): Promise<T> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await fn(attempt);
		} catch (err) {
			if (signal?.aborted || attempt >= policy.attempts || !isTransient(err)) throw err;
			const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
			// A busy server says when to come back; the jitter spreads the clients it refused.
			const hinted = retryAfterMs(err);
			await sleep(Math.max(delay * (0.5 + Math.random() / 2), hinted * (1 + Math.random() / 4)), signal);
		}
	}
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) return reject(new ApiError('ABORTED', 'Cancelled.'));
		const timer = setTimeout(done, ms);
		function done() {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		}
		function onAbort() {
			clearTimeout(timer);
			reject(new ApiError('ABORTED', 'Cancelled.'));
		}
		signal?.addEventListener('abort', onAbort, { once: true });
	});
}

/** Runs `worker` over `items` with at most `limit` at once; the first failure stops the rest. */
export async function runPool<T>(items: readonly T[], limit: number, worker: (item: T) => Promise<void>): Promise<void> {
	let next = 0;
	let failed = false;
	async function lane() {
		while (!failed && next < items.length) {
			const item = items[next++] as T;
			try {
				await worker(item);
			} catch (err) {
				failed = true;
				throw err;
			}
		}
	}
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
