import { ApiError } from '../api/client';

export interface RetryPolicy {
	attempts: number;
	baseDelayMs: number;
	maxDelayMs: number;
}

/** Enough to ride out a dropped Wi-Fi or a server restart (about a minute in all). */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 500, maxDelayMs: 15_000 };

/** What the policy needs from the world; tests inject their own so that nothing really waits. */
export interface RetryEnv {
	/** Uniform in [0, 1): the jitter. */
	random(): number;
	/** Milliseconds since the epoch: a Retry-After date is relative to it. */
	now(): number;
	/** Resolves after `ms`; rejects with ABORTED as soon as `signal` aborts. */
	sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * A failure worth another try: the network, a briefly unavailable or busy server (5xx, SERVER_BUSY),
 * or a rate limit that says when to come back; never a refusal.
 */
export function isTransient(err: unknown): boolean {
	if (err instanceof ApiError) return err.transient || err.status >= 500 || (err.code === 'RATE_LIMITED' && retryAfterMs(err) > 0);
	return err instanceof TypeError; // fetch's network failure, or a body stream cut mid-way
}

/** Longest server-requested wait honoured; beyond it the normal backoff decides. */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * A `Retry-After` header value in milliseconds from `now`: delay-seconds or an HTTP-date
 * (RFC 9110 §10.2.3); null if it is neither. A date in the past is 0.
 */
export function parseRetryAfter(value: string, now: number): number | null {
	const text = value.trim();
	if (/^\d+$/.test(text)) return Number(text) * 1000;
	// Only the date forms (they all name a weekday or a month); Date.parse alone accepts "1.5".
	if (!/[a-z]{3}/i.test(text)) return null;
	const at = Date.parse(text);
	return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * The wait a failure asks for, capped at a minute; 0 if none. The `Retry-After` header (from the
 * server or a proxy in front of it) comes first, then the server's `details.retryAfter` (seconds).
 */
export function retryAfterMs(err: unknown, now = Date.now()): number {
	if (!(err instanceof ApiError)) return 0;
	const header = err.retryAfter === undefined ? null : parseRetryAfter(err.retryAfter, now);
	const seconds = err.details?.retryAfter;
	const ms = header ?? (typeof seconds === 'number' && seconds > 0 ? seconds * 1000 : 0);
	return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/**
 * The wait before try `failures + 1`: exponential backoff with jitter (half to all of the step),
 * or the server's Retry-After plus up to a quarter more, whichever is longer. The jitter spreads
 * the clients a busy server refused at once, so they do not all come back together.
 */
export function retryDelayMs(err: unknown, failures: number, policy: RetryPolicy, env: Pick<RetryEnv, 'random' | 'now'>): number {
	const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - 1));
	const hinted = retryAfterMs(err, env.now());
	const backoff = step * (0.5 + env.random() / 2);
	return hinted > 0 ? Math.max(backoff, hinted * (1 + env.random() / 4)) : backoff;
}

export const realRetryEnv: RetryEnv = { random: () => Math.random(), now: () => Date.now(), sleep };

/**
 * After the `failures`-th failure in a row, waits as the policy says and resolves true; resolves
 * false at once if `err` is not worth retrying, the attempts are spent or `signal` has aborted.
 * Rejects with ABORTED if `signal` aborts during the wait.
 */
export async function waitToRetry(
	err: unknown,
	failures: number,
	signal?: AbortSignal,
	policy: RetryPolicy = DEFAULT_RETRY,
	env: RetryEnv = realRetryEnv
): Promise<boolean> {
	if (signal?.aborted || failures >= policy.attempts || !isTransient(err)) return false;
	await env.sleep(retryDelayMs(err, failures, policy, env), signal);
	return true;
}

/**
 * Runs `fn` until it succeeds, retrying transient failures as `waitToRetry` says; `onRetry` hears
 * each failure that will be retried, before the wait (the page says "Reconnecting…").
 */
export async function withRetry<T>(
	fn: (attempt: number) => Promise<T>,
	signal?: AbortSignal,
	policy: RetryPolicy = DEFAULT_RETRY,
	env: RetryEnv = realRetryEnv,
	onRetry?: (err: unknown) => void
): Promise<T> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await fn(attempt);
		} catch (err) {
			if (!signal?.aborted && attempt < policy.attempts && isTransient(err)) onRetry?.(err);
			if (!(await waitToRetry(err, attempt, signal, policy, env))) throw err;
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
