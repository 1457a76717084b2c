import type { Clock } from '../clock';

/** Names tracked at most, so that guesses at many names cannot exhaust memory. */
const MAX_ENTRIES = 10_000;

/**
 * Failed logins per user name in fixed windows, in memory (per instance, like the address
 * limits). It stops a slow guesser who spreads attempts over many addresses; the price is that
 * such a guesser can keep one name from logging in, while its sessions and tokens keep working.
 */
export class FailureLimiter {
	private readonly windows = new Map<string, { failures: number; resetAt: number }>();

	constructor(
		private readonly clock: Clock,
		private readonly maxFailures: number,
		private readonly windowMs: number
	) {}

	/** Seconds until `key` may try again, or 0. */
	retryAfter(key: string): number {
		const window = this.windows.get(key);
		const now = this.clock.now();
		if (!window || window.resetAt <= now || window.failures < this.maxFailures) return 0;
		return Math.max(1, Math.ceil((window.resetAt - now) / 1000));
	}

	fail(key: string): void {
		const now = this.clock.now();
		const window = this.windows.get(key);
		if (window && window.resetAt > now) {
			window.failures++;
			return;
		}
		this.windows.delete(key);
		if (this.windows.size >= MAX_ENTRIES) {
			for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
			// Still full: drop the oldest windows (insertion order).
			for (const k of this.windows.keys()) {
				if (this.windows.size < MAX_ENTRIES) break;
				this.windows.delete(k);
			}
		}
		this.windows.set(key, { failures: 1, resetAt: now + this.windowMs });
	}
}
