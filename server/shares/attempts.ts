import { createHash } from 'node:crypto';
import type { Clock } from '../clock';
import { AppError } from '../errors';
import type { MetaStore } from '../stores/meta/types';

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
	perClient: { max: 30, windowMs: 10 * 60_000 }
};

/**
 * The stored key of a counter. Hashed, so the database holds no client address in clear (the
 * rows live for one window only, and the sweeper deletes them).
 */
export function attemptKey(kind: 'share' | 'client', value: string): string {
	return createHash('sha256').update(`${kind}:${value}`).digest('base64url');
}

/**
 * Counts wrong read tokens (metadata, claim) per share and per client address, in the MetaStore,
 * so every instance behind a load balancer sees the same counts. While a key is over its limit,
 * token checks for it are refused with 429 TOO_MANY_ATTEMPTS and a Retry-After, before the token
 * is even looked at. Each failure is one atomic upsert; requests already past the check when the
 * limit is reached are still evaluated (at most the number in flight at that moment).
 */
export class AttemptLimiter {
	constructor(
		private readonly meta: MetaStore,
		private readonly clock: Clock,
		private readonly options: AttemptLimiterOptions = DEFAULT_ATTEMPT_LIMITS
	) {}

	/** Throws TOO_MANY_ATTEMPTS if the share or the client has used up its wrong attempts. */
	async check(shareId: string, client: string | undefined): Promise<void> {
		const now = this.clock.now();
		const rules = this.rules(shareId, client);
		const counters = await this.meta.attemptCounts(
			rules.map((rule) => rule.key),
			now
		);
		let ms = 0;
		for (const counter of counters) {
			const rule = rules.find((r) => r.key === counter.key);
			if (rule && counter.count >= rule.max) ms = Math.max(ms, counter.resetAt - now);
		}
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
	async fail(shareId: string, client: string | undefined): Promise<void> {
		const now = this.clock.now();
		await Promise.all(this.rules(shareId, client).map((rule) => this.meta.addAttempt(rule.key, now, rule.windowMs)));
	}

	private rules(shareId: string, client: string | undefined): (AttemptRule & { key: string })[] {
		const rules = [{ key: attemptKey('share', shareId), ...this.options.perShare }];
		if (client) rules.push({ key: attemptKey('client', client), ...this.options.perClient });
		return rules;
	}
}
