import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestCredentials, RequestOrigin } from '../../server/accounts/credentials';
import { hashPassword } from '../../server/accounts/passwords';
import { Accounts } from '../../server/accounts/service';
import { openSqliteMetaStore } from '../../server/stores/meta/sqlite';
import type { MetaStore } from '../../server/stores/meta/types';
import { captureLogs, FakeClock, tempDir, testConfig } from './helpers';

const PASSWORD = 'copper lantern meadow 42';
const sameSite: RequestOrigin = { method: 'POST', secFetchSite: 'same-origin', origin: undefined, host: 'share.example' };
const crossSite: RequestOrigin = { ...sameSite, secFetchSite: 'cross-site' };
const read = (origin: RequestOrigin, tokens: Partial<RequestCredentials> = {}): RequestCredentials => ({
	bearerToken: undefined,
	sessionToken: undefined,
	origin,
	...tokens
});

/** The accounts use cases with plain values only: no HTTP request, no framework context. */
describe('Accounts, driven without HTTP', () => {
	let dir: string;
	let meta: MetaStore;
	let accounts: Accounts;
	const clock = new FakeClock();

	beforeEach(async () => {
		dir = await tempDir();
		const config = testConfig(dir, { SEALDROP_UPLOAD_ACCESS: 'restricted' });
		meta = await openSqliteMetaStore({ file: join(dir, 'sealdrop.sqlite') });
		accounts = new Accounts({ config, clock, accounts: meta.accounts, logger: captureLogs().logger });
		const passwordHash = await hashPassword(PASSWORD);
		await meta.accounts.addUser({
			id: randomBytes(12).toString('base64url'),
			name: 'ann',
			passwordHash,
			createdAt: clock.now(),
			quotaBytes: null,
			quotaShares: null,
			maxExpiry: null
		});
	});
	afterEach(async () => {
		await meta.close();
		await rm(dir, { recursive: true, force: true });
	});

	it('logs in, returns the session for the caller to hand out, and recognises it', async () => {
		const { account, session } = await accounts.login({ name: 'Ann', password: PASSWORD }, sameSite);
		expect(account.name).toBe('ann');
		expect(session.expiresAt).toBeGreaterThan(clock.now());
		const caller = await accounts.requireCaller(read({ ...sameSite, method: 'GET' }, { sessionToken: session.token }));
		expect(caller).toMatchObject({ via: 'session', user: { name: 'ann' } });

		await accounts.logout(read(sameSite, { sessionToken: session.token }));
		expect(await accounts.caller(read({ ...sameSite, method: 'GET' }, { sessionToken: session.token }))).toBeUndefined();
	});

	it('refuses a cross-site login and a cross-site request riding on the session cookie', async () => {
		await expect(accounts.login({ name: 'ann', password: PASSWORD }, crossSite)).rejects.toMatchObject({ code: 'CROSS_ORIGIN' });
		const { session } = await accounts.login({ name: 'ann', password: PASSWORD }, sameSite);
		await expect(accounts.caller(read(crossSite, { sessionToken: session.token }))).rejects.toMatchObject({ code: 'CROSS_ORIGIN' });
	});

	it('takes an API token from any site, refuses a revoked one, and keeps token management to sessions', async () => {
		const { session } = await accounts.login({ name: 'ann', password: PASSWORD }, sameSite);
		const user = await accounts.requireSession(read(sameSite, { sessionToken: session.token }));
		const created = await accounts.createToken(user, 'ci');
		const viaToken = read(crossSite, { bearerToken: created.token });
		expect(await accounts.requireCaller(viaToken)).toMatchObject({ via: 'token' });
		await expect(accounts.requireSession(viaToken)).rejects.toMatchObject({ code: 'FORBIDDEN' });
		await accounts.revokeToken(user, created.id);
		await expect(accounts.caller(viaToken)).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' });
	});
});
