import { createHash } from 'node:crypto';
import { decodeHeader } from '../../src/lib/crypto/header';
import type { Clock } from '../clock';
import type { AttemptStore, ShareRecord } from '../stores/meta/types';
import { tooManyAttempts } from './errors';

/** At most `max` wrong tokens per `windowMs`; the window starts at the first failure. */
export interface AttemptRule {
	max: number;
	windowMs: number;
}

/**
 * A growing wait instead of a lock: after `free` wrong tokens, each further token is looked at
 * only `firstDelayMs · 2^k` after the previous wrong one (k = wrong tokens beyond `free`), at
 * most `maxDelayMs`. The count starts afresh after `forgetAfterMs` without a wrong token.
 */
export interface BackoffRule {
	free: number;
	firstDelayMs: number;
	maxDelayMs: number;
	forgetAfterMs: number;
}

export interface AttemptLimiterOptions {
	/** Wrong read tokens from one client address, for any share. */
	perClient: AttemptRule;
	/** Wrong read tokens for one share with a password, from anyone. */
	perPasswordShare: BackoffRule;
}

/**
 * A client address is limited first: 10 wrong tokens in 10 minutes, then its own requests wait
 * for the window to end (behind a reverse proxy without SEALDROP_TRUST_PROXY everyone shares the
 * proxy's address, and so this budget). A password share then slows everyone else down: after 10
 * wrong tokens it waits 1 s, 2 s, 4 s … up to 5 minutes after each further one, so a guesser with
 * many addresses gets 23 guesses in the first half hour, 29 in the first hour and 12 an hour
 * after that, while the recipient is kept out for 5 minutes at most after the last wrong guess.
 */
export const DEFAULT_ATTEMPT_LIMITS: AttemptLimiterOptions = {
	perClient: { max: 10, windowMs: 10 * 60_000 },
	perPasswordShare: { free: 10, firstDelayMs: 1000, maxDelayMs: 5 * 60_000, forgetAfterMs: 60 * 60_000 }
};

/**
 * Whether a share's tokens may hide a password: true unless its public header is a version-1 or
 * version-2 header whose kdf byte says "no password" (FORMAT.md §2). A header the server cannot
 * read (malformed, or of a later version) counts as a password, the side that limits.
 */
export function passwordProtected(header: Uint8Array | null): boolean {
	if (!header) return true;
	try {
		return decodeHeader(header).kdf !== null;
	} catch {
		return true;
	}
}

/**
 * The stored key of a counter. Hashed, so the database holds no client address in clear (the
 * rows live for one window only, and the sweeper deletes them).
 */
export function attemptKey(kind: 'share' | 'client', value: string): string {
	return createHash('sha256').update(`${kind}:${value}`).digest('base64url');
}

/** What the limiter needs of a share: its id, and its header for whether it has a password. */
export type LimitedShare = Pick<ShareRecord, 'id' | 'header'>;

/**
 * Counts wrong read and unlock tokens (unlock, metadata, claim) per client address and per password share, in the
 * MetaStore, so every instance behind a load balancer sees the same counts. While a client is
 * over its limit, or a password share is waiting, token checks for it are refused with 429
 * TOO_MANY_ATTEMPTS and an exact Retry-After, before the token is even looked at (a refusal that
 * still accepted the right token would not stop guessing); a refused request counts nothing.
 *
 * A share without a password has no per-share count at all: its read token is a 256-bit key that
 * no one can guess, and a lock would only let whoever knows its id (a link previewer sees it)
 * keep the recipient out. Owner tokens are 256-bit random values and have no attempt limit.
 *
 * Each failure is one atomic upsert; requests already past the check when a limit is reached
 * are still evaluated (at most the number in flight at that moment).
 */
export class AttemptLimiter {
	constructor(
		private readonly store: AttemptStore,
		private readonly clock: Clock,
		private readonly options: AttemptLimiterOptions = DEFAULT_ATTEMPT_LIMITS
	) {}

	/** Throws TOO_MANY_ATTEMPTS if the client is over its limit or the password share must still wait. */
	async check(share: LimitedShare, client: string | undefined): Promise<void> {
		const now = this.clock.now();
		const clientKey = client ? attemptKey('client', client) : undefined;
		const shareKey = passwordProtected(share.header) ? attemptKey('share', share.id) : undefined;
		const keys = [clientKey, shareKey].filter((key) => key !== undefined);
		if (keys.length === 0) return;
		let ms = 0;
		let limit: 'client' | 'share' = 'client';
		for (const counter of await this.store.counts(keys, now)) {
			if (counter.key === clientKey && counter.count >= this.options.perClient.max && counter.resetAt - now > ms) {
				ms = counter.resetAt - now;
				limit = 'client';
			}
			if (counter.key === shareKey) {
				const rule = this.options.perPasswordShare;
				// The window slides: it ends forgetAfterMs after the latest wrong token.
				const lastFailure = counter.resetAt - rule.forgetAfterMs;
				const wait = lastFailure + backoffMs(rule, counter.count) - now;
				if (wait > ms) {
					ms = wait;
					limit = 'share';
				}
			}
		}
		if (ms > 0) throw tooManyAttempts(ms, limit);
	}

	/** Records one wrong token for the client and, if it has a password, the share. */
	async fail(share: LimitedShare, client: string | undefined): Promise<void> {
		const now = this.clock.now();
		const writes: Promise<void>[] = [];
		if (client) writes.push(this.store.add(attemptKey('client', client), now, this.options.perClient.windowMs));
		if (passwordProtected(share.header)) {
			writes.push(this.store.add(attemptKey('share', share.id), now, this.options.perPasswordShare.forgetAfterMs, true));
		}
		await Promise.all(writes);
	}
}

/** How long after the latest of `count` wrong tokens the next one may be looked at. */
export function backoffMs(rule: BackoffRule, count: number): number {
	if (count < rule.free) return 0;
	return Math.min(rule.maxDelayMs, rule.firstDelayMs * 2 ** Math.min(count - rule.free, 40));
}
