import type { MiddlewareHandler } from 'hono';
import type { Clock } from '../clock';
import type { ClientAddress } from './client-address';
import { rateLimited } from './errors';

/** At most `max` requests per `windowSeconds` from one client. */
export interface RateRule {
	max: number;
	windowSeconds: number;
}

/** Counters kept at most, so a flood from many addresses cannot exhaust memory. */
const MAX_ENTRIES = 50_000;
/** A full map is cut down to this, so the next few thousand new clients need no scan. */
const PRUNE_TO = 45_000;

/**
 * Fixed windows per key, in memory: right for a single instance (several instances each count
 * their own). Fixed windows can let up to 2×max through around a window edge, which is fine for
 * abuse control and needs one counter per client.
 */
export class RateLimiter {
	private readonly windows = new Map<string, { count: number; resetAt: number }>();

	constructor(
		private readonly clock: Clock,
		private readonly rule: RateRule
	) {}

	/** Counts one request; returns the seconds to wait if it is over the limit, else 0. */
	take(key: string): number {
		const now = this.clock.now();
		const current = this.windows.get(key);
		if (current && current.resetAt > now) {
			if (current.count >= this.rule.max) return Math.max(1, Math.ceil((current.resetAt - now) / 1000));
			current.count++;
			return 0;
		}
		this.windows.delete(key);
		this.prune(now);
		this.windows.set(key, { count: 1, resetAt: now + this.rule.windowSeconds * 1000 });
		return 0;
	}

	get size(): number {
		return this.windows.size;
	}

	private prune(now: number): void {
		if (this.windows.size < MAX_ENTRIES) return;
		for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
		// Insertion order: the first keys are the oldest windows.
		for (const key of this.windows.keys()) {
			if (this.windows.size <= PRUNE_TO) break;
			this.windows.delete(key);
		}
	}
}

/**
 * Refuses a client over its limit with 429 RATE_LIMITED and Retry-After. A request without a
 * known client (no socket: in-process `app.request`) is not limited; over HTTP every request has
 * a peer address, and one shared key for the unknown would turn into a global limit.
 */
export function rateLimit(limiter: RateLimiter, clientAddress: ClientAddress, action: string): MiddlewareHandler {
	return async (c, next) => {
		const client = clientAddress(c);
		const seconds = client === undefined ? 0 : limiter.take(client);
		if (seconds > 0) {
			throw rateLimited(action, seconds);
		}
		await next();
	};
}
