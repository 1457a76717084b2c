import type { Clock } from '../clock';
import { AppError } from '../errors';

/** At most `max` wrong tokens per `windowMs`; the window starts at the first failure. */
export interface AttemptRule {
	max: number;
	windowMs: number;
}

export interface AttemptLimiterOptions {
	/** Wrong read tokens for one share, from anyone. */
	perShare: AttemptRule;
	/** Wrong read tokens from one client address, for any share. */
	perClient: AttemptRule;
	/** Counters kept at most (oldest dropped first), so a flood cannot exhaust memory. */
	maxEntries: number;
}

/**
 * Read tokens are 256-bit HKDF outputs, so guessing one online is hopeless anyway; the limit is
 * defence in depth against scanners and buggy clients, and it keeps the cost of a flood of wrong
 * tokens bounded. A share is not locked for long: whoever knows an id could otherwise keep its
 * recipients out. Behind a reverse proxy every client shares the proxy's address, so the
 * per-client rule is generous.
 */
export const DEFAULT_ATTEMPT_LIMITS: AttemptLimiterOptions = {
	perShare: { max: 10, windowMs: 10 * 60_000 },
	perClient: { max: 30, windowMs: 10 * 60_000 },
	maxEntries: 50_000
};

interface Counter {
	count: number;
	/** When the window (which began at the first failure) ends. */
	resetAt: number;
}

/**
 * Counts wrong read tokens (metadata, claim) per share and per client address, in memory: right
 * for a single instance (several instances each count their own, so the effective limit is
 * multiplied by the number of instances). While a key is over its limit, token checks for it are
 * refused with 429 TOO_MANY_ATTEMPTS and a Retry-After, before the token is even looked at.
 */
export class AttemptLimiter {
	private readonly counters = new Map<string, Counter>();

	constructor(
		private readonly clock: Clock,
		private readonly options: AttemptLimiterOptions = DEFAULT_ATTEMPT_LIMITS
	) {}

	/** Throws TOO_MANY_ATTEMPTS if the share or the client has used up its wrong attempts. */
	check(shareId: string, client: string | undefined): void {
		const now = this.clock.now();
		const waits = [this.wait(`share:${shareId}`, this.options.perShare, now)];
		if (client) waits.push(this.wait(`client:${client}`, this.options.perClient, now));
		const ms = Math.max(...waits);
		if (ms > 0) {
			const seconds = Math.ceil(ms / 1000);
			throw new AppError(
				'TOO_MANY_ATTEMPTS',
				`Too many wrong attempts; try again in ${seconds} s.`,
				{ retryAfter: seconds },
				{ 'Retry-After': String(seconds) }
			);
		}
	}

	/** Records one wrong token for the share and the client. */
	fail(shareId: string, client: string | undefined): void {
		const now = this.clock.now();
		this.bump(`share:${shareId}`, this.options.perShare, now);
		if (client) this.bump(`client:${client}`, this.options.perClient, now);
	}

	/** Counters currently held (for tests and metrics). */
	get size(): number {
		return this.counters.size;
	}

	/** Milliseconds until `key` may try again; 0 if it may now. */
	private wait(key: string, rule: AttemptRule, now: number): number {
		const counter = this.counters.get(key);
		if (!counter) return 0;
		if (counter.resetAt <= now) {
			this.counters.delete(key);
			return 0;
		}
		return counter.count >= rule.max ? counter.resetAt - now : 0;
	}

	private bump(key: string, rule: AttemptRule, now: number): void {
		const counter = this.counters.get(key);
		if (counter && counter.resetAt > now) {
			counter.count++;
			return;
		}
		this.counters.delete(key);
		this.prune(now);
		this.counters.set(key, { count: 1, resetAt: now + rule.windowMs });
	}

	/** Drops ended windows, then the oldest counters, to stay under maxEntries. */
	private prune(now: number): void {
		if (this.counters.size < this.options.maxEntries) return;
		for (const [key, counter] of this.counters) if (counter.resetAt <= now) this.counters.delete(key);
		// Map iteration is insertion order: the first keys are the oldest windows.
		for (const key of this.counters.keys()) {
			if (this.counters.size < this.options.maxEntries) break;
			this.counters.delete(key);
		}
	}
}
