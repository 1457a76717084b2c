import type { AccountInfo, ApiTokenInfo, CreatedApiToken } from '../../src/lib/api/types';
import type { Clock } from '../clock';
import type { Config } from '../config/schema';
import type { Logger } from '../logger';
import { hashToken } from '../shares/tokens';
import type { AccountStore, UserRecord } from '../stores/meta/account-types';
import { auditAccount } from './audit';
import {
	accountDisabled,
	invalidApiToken,
	loginFailed,
	loginRequired,
	noSuchApiToken,
	tokensNeedSession,
	tooManyLogins,
	tooManyTokens
} from './errors';
import { FailureLimiter } from './failure-limit';
import { parseUserName } from './names';
import { MAX_PASSWORD_LENGTH, verifyPassword } from './passwords';
import type { NewSession, RequestCredentials, RequestOrigin } from './credentials';
import { assertSameOrigin } from './same-origin';
import { newPublicId, newSecretToken } from './tokens';

export interface AccountDeps {
	config: Config;
	clock: Clock;
	accounts: AccountStore;
	logger: Logger;
}

/** Failed logins one name may have per window, whatever the address (see FailureLimiter). */
const NAME_FAILURES = { max: 10, windowMs: 15 * 60_000 };
/** API tokens one user may hold. */
const MAX_TOKENS = 50;

export interface Caller {
	user: UserRecord;
	via: 'session' | 'token';
}

/** Login, sessions and API tokens (restricted upload mode), bound to their dependencies. */
export class Accounts {
	private readonly nameFailures: FailureLimiter;

	constructor(private readonly deps: AccountDeps) {
		this.nameFailures = new FailureLimiter(deps.clock, NAME_FAILURES.max, NAME_FAILURES.windowMs);
	}

	/** Checks a name and password and starts a session, whose token the caller hands out as a cookie. */
	async login(input: { name: string; password: string }, origin: RequestOrigin): Promise<{ account: AccountInfo; session: NewSession }> {
		const { config, clock, accounts, logger } = this.deps;
		assertSameOrigin(origin, config.publicUrl);
		const name = parseUserName(input.name);
		// Invalid names share one key: they cannot match a user anyway.
		const key = name ?? '(invalid)';
		const wait = this.nameFailures.retryAfter(key);
		if (wait > 0) {
			const user = name === undefined ? undefined : await accounts.findUserByName(name);
			auditAccount(logger, 'user.login', { userId: user?.id ?? null, outcome: 'rate_limited' });
			throw tooManyLogins(wait);
		}
		const user = name === undefined ? undefined : await accounts.findUserByName(name);
		const ok = input.password.length <= MAX_PASSWORD_LENGTH && (await verifyPassword(user?.passwordHash, input.password));
		if (!user || !ok) {
			this.nameFailures.fail(key);
			auditAccount(logger, 'user.login', { userId: user?.id ?? null, outcome: 'failed' });
			throw loginFailed();
		}
		if (user.disabled) {
			auditAccount(logger, 'user.login', { userId: user.id, outcome: 'disabled' });
			throw accountDisabled();
		}
		const now = clock.now();
		const session = newSecretToken();
		const expiresAt = now + config.sessionTtl * 1000;
		// Expired sessions are cleared here, where new ones are made, so the table stays small.
		await accounts.deleteExpiredSessions(now);
		await accounts.createSession({ hash: session.hash, userId: user.id, createdAt: now, expiresAt });
		auditAccount(logger, 'user.login', { userId: user.id, outcome: 'ok' });
		return {
			account: await this.describe({ user, via: 'session' }),
			session: { token: session.token, maxAgeSeconds: config.sessionTtl, expiresAt }
		};
	}

	/** Ends the session the credentials carry, if any (the caller then clears the cookie). */
	async logout(credentials: RequestCredentials): Promise<void> {
		assertSameOrigin(credentials.origin, this.deps.config.publicUrl);
		const token = credentials.sessionToken;
		const hash = token === undefined ? undefined : hashToken(token);
		if (hash) {
			const user = await this.deps.accounts.findSession(hash, this.deps.clock.now());
			await this.deps.accounts.deleteSession(hash);
			if (user) auditAccount(this.deps.logger, 'user.logout', { userId: user.id });
		}
	}

	/**
	 * Who is calling: an API token (`Authorization: Bearer`) or the session cookie; undefined if
	 * neither. A bearer token that is not valid is refused outright rather than ignored, so a
	 * script learns at once that its token was revoked.
	 */
	async caller(credentials: RequestCredentials): Promise<Caller | undefined> {
		const { accounts, clock, config } = this.deps;
		if (credentials.bearerToken !== undefined) {
			const hash = hashToken(credentials.bearerToken);
			const user = hash && (await accounts.findApiToken(hash, clock.now()));
			if (!user) throw invalidApiToken();
			return { user, via: 'token' };
		}
		const token = credentials.sessionToken;
		const hash = token === undefined ? undefined : hashToken(token);
		const user = hash && (await accounts.findSession(hash, clock.now()));
		if (!user) return undefined;
		// Only a cookie rides along on a forged cross-site request; a bearer token never does.
		assertSameOrigin(credentials.origin, config.publicUrl);
		return { user, via: 'session' };
	}

	async requireCaller(credentials: RequestCredentials): Promise<Caller> {
		const caller = await this.caller(credentials);
		if (!caller) throw loginRequired();
		return caller;
	}

	/** Token management needs the login session: a leaked token must not mint more tokens. */
	async requireSession(credentials: RequestCredentials): Promise<UserRecord> {
		const caller = await this.requireCaller(credentials);
		if (caller.via !== 'session') throw tokensNeedSession();
		return caller.user;
	}

	async describe(caller: Caller): Promise<AccountInfo> {
		const { user } = caller;
		return {
			name: user.name,
			via: caller.via,
			limits: { quotaBytes: user.quotaBytes, quotaShares: user.quotaShares, maxExpiry: user.maxExpiry },
			usage: await this.deps.accounts.usage(user.id)
		};
	}

	listTokens(user: UserRecord): Promise<ApiTokenInfo[]> {
		return this.deps.accounts.listApiTokens(user.id);
	}

	async createToken(user: UserRecord, name: string): Promise<CreatedApiToken> {
		const { accounts, clock, logger } = this.deps;
		if ((await accounts.listApiTokens(user.id)).length >= MAX_TOKENS) {
			throw tooManyTokens(MAX_TOKENS);
		}
		const secret = newSecretToken();
		const id = newPublicId();
		const createdAt = clock.now();
		await accounts.createApiToken({ id, userId: user.id, name, hash: secret.hash, createdAt });
		auditAccount(logger, 'token.create', { userId: user.id, tokenId: id });
		return { id, name, createdAt, lastUsedAt: null, token: secret.token };
	}

	async revokeToken(user: UserRecord, id: string): Promise<void> {
		if (!(await this.deps.accounts.deleteApiToken(user.id, id))) throw noSuchApiToken();
		auditAccount(this.deps.logger, 'token.revoke', { userId: user.id, tokenId: id });
	}
}
