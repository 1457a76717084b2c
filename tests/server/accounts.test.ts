import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { weakPasswordReason } from '../../server/accounts/password-policy';
import { hashPassword, hashMeetsPolicy } from '../../server/accounts/passwords';
import { ConfigError } from '../../server/config/schema';
import { createLogger } from '../../server/logger';
import { startSealdrop } from '../../server/start';
import { openSqliteMetaStore } from '../../server/stores/meta/sqlite';
import type { AccountInfo, CreatedApiToken, CreateShareResponse } from '../../src/lib/api/types';
import {
	asBody,
	b64,
	bearer,
	completeShare,
	configProblems,
	createBody,
	createHarness,
	jsonInit,
	outcome,
	partBytes,
	testConfig,
	tempDir,
	type ClientShare,
	type Harness
} from './helpers';

const PASSWORD = 'tangerine kettle orbit 42';
const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' };
/** Who the login limit counts; tests move it to play several addresses. */
let address = '198.51.100.7';

async function restricted(env: Record<string, string> = {}): Promise<Harness> {
	return createHarness({
		env: { SEALDROP_UPLOAD_ACCESS: 'restricted', ...env },
		app: { clientAddress: () => address }
	});
}

async function addUser(h: Harness, name: string, limits: { quotaBytes?: number; quotaShares?: number; maxExpiry?: number } = {}) {
	const added = await h.meta.accounts.addUser({
		id: randomBytes(12).toString('base64url'),
		name,
		passwordHash: await hashPassword(PASSWORD),
		createdAt: h.clock.now(),
		quotaBytes: limits.quotaBytes ?? null,
		quotaShares: limits.quotaShares ?? null,
		maxExpiry: limits.maxExpiry ?? null
	});
	expect(added).toBe(true);
}

function login(h: Harness, name: string, password = PASSWORD, headers: Record<string, string> = SAME_ORIGIN): Promise<Response> {
	return h.api('/login', jsonInit('POST', { name, password }, headers));
}

/** Logs in and returns the Cookie header a browser would send back. */
async function session(h: Harness, name: string): Promise<string> {
	const response = await login(h, name);
	expect(await outcome(response)).toBe('200');
	const cookie = response.headers.get('set-cookie') ?? '';
	return cookie.split(';')[0]!;
}

/** POST /shares as a browser page of this server would (or with other headers). */
async function create(h: Harness, headers: Record<string, string>, options: { size?: number; expiresIn?: number } = {}) {
	const size = options.size ?? 3000;
	const tokens = { owner: randomBytes(32), read: randomBytes(32) };
	const body = createBody({ size, partSize: 1024, expiresIn: options.expiresIn }, tokens);
	const response = await h.api('/shares', jsonInit('POST', body, headers));
	const share: ClientShare | undefined =
		response.status === 201
			? {
					...((await response.clone().json()) as CreateShareResponse),
					ownerToken: b64(tokens.owner),
					readToken: b64(tokens.read),
					bytes: randomBytes(size),
					partSize: 1024,
					header: Buffer.from(body.header, 'base64url'),
					metadata: Buffer.from(body.metadata, 'base64url')
				}
			: undefined;
	return { response, share };
}

const withCookie = (cookie: string) => ({ cookie, ...SAME_ORIGIN });

describe('restricted upload mode over HTTP', () => {
	let h: Harness;
	beforeEach(async () => {
		address = '198.51.100.7';
		h = await restricted();
		await addUser(h, 'alice');
	});
	afterEach(() => h.close());

	it('says so in the public config', async () => {
		expect(await (await h.api('/config')).json()).toMatchObject({ uploadAccess: 'restricted' });
	});

	it('refuses an upload without login, accepts it with one, and downloads need no account', async () => {
		const anonymous = await create(h, SAME_ORIGIN);
		expect(await outcome(anonymous.response)).toBe('401 LOGIN_REQUIRED');

		const cookie = await session(h, 'alice');
		const { response, share } = await create(h, withCookie(cookie));
		expect(await outcome(response)).toBe('201');
		for (let n = 0; n < share!.parts; n++) {
			const put = await h.api(`/shares/${share!.id}/parts/${n}`, {
				method: 'PUT',
				body: asBody(partBytes(share!, n)),
				headers: bearer(share!.ownerToken)
			});
			expect(put.status).toBe(200);
		}
		expect((await completeShare(h, share!)).status).toBe(200);
		// The recipient has no account and no cookie.
		const claim = await h.api(`/shares/${share!.id}/claim`, { method: 'POST', headers: bearer(share!.readToken) });
		expect(await outcome(claim)).toBe('200');

		const me = (await (await h.api('/me', { headers: { cookie } })).json()) as AccountInfo;
		expect(me).toMatchObject({ name: 'alice', via: 'session', usage: { bytes: 3000, shares: 1 } });
	});

	it('sets the session cookie HttpOnly, Secure, SameSite=Strict, host-only, and logout ends it', async () => {
		const response = await login(h, 'alice');
		const cookie = response.headers.get('set-cookie') ?? '';
		expect(cookie).toMatch(/^__Host-sealdrop_session=[A-Za-z0-9_-]{43};/);
		const attributes = cookie
			.split(';')
			.slice(1)
			.map((a) => a.trim().toLowerCase());
		expect(attributes).toEqual(expect.arrayContaining(['httponly', 'secure', 'samesite=strict', 'path=/', 'max-age=604800']));
		expect(attributes.some((a) => a.startsWith('domain'))).toBe(false);
		const sent = cookie.split(';')[0]!;
		expect((await h.api('/me', { headers: { cookie: sent } })).status).toBe(200);

		const out = await h.api('/logout', { method: 'POST', headers: withCookie(sent) });
		expect(out.status).toBe(204);
		expect(out.headers.get('set-cookie')).toMatch(/^__Host-sealdrop_session=;.*Max-Age=0/i);
		expect(await outcome(await h.api('/me', { headers: { cookie: sent } }))).toBe('401 LOGIN_REQUIRED');
		expect(await outcome((await create(h, withCookie(sent))).response)).toBe('401 LOGIN_REQUIRED');
	});

	it('refuses cookie-authenticated changes that come from another origin', async () => {
		const cookie = await session(h, 'alice');
		const forged: Record<string, string>[] = [
			{ cookie, 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
			{ cookie, 'sec-fetch-site': 'same-site' },
			{ cookie, origin: 'https://evil.example' },
			{ cookie, origin: 'null' },
			// Neither header: not a page of this server, so it must use a bearer token.
			{ cookie }
		];
		for (const headers of forged) {
			expect(await outcome((await create(h, headers)).response), JSON.stringify(headers)).toBe('403 CROSS_ORIGIN');
			expect(await outcome(await h.api('/tokens', jsonInit('POST', { name: 'x' }, headers)))).toBe('403 CROSS_ORIGIN');
			expect(await outcome(await h.api('/logout', { method: 'POST', headers }))).toBe('403 CROSS_ORIGIN');
		}
		// Login CSRF (logging the victim into the attacker's account) is refused too.
		expect(await outcome(await login(h, 'alice', PASSWORD, { 'sec-fetch-site': 'cross-site' }))).toBe('403 CROSS_ORIGIN');
		// The session survived the forged logout, and an Origin naming this host is accepted.
		expect(await outcome((await create(h, { cookie, origin: 'http://sealdrop.test', host: 'sealdrop.test' })).response)).toBe('201');
		expect(await outcome(await h.api('/tokens', { headers: { cookie } }))).toBe('200');
	});

	it('refuses wrong passwords alike for known and unknown names, and audits logins without secrets', async () => {
		expect(await outcome(await login(h, 'alice', 'wrong password here'))).toBe('401 LOGIN_FAILED');
		expect(await outcome(await login(h, 'mallory-typed-her-password'))).toBe('401 LOGIN_FAILED');
		const ok = await login(h, 'alice');
		const token = /=([^;]+)/.exec(ok.headers.get('set-cookie') ?? '')![1]!;
		const logins = h.logs.lines.filter((line) => line.audit === 'user.login');
		expect(logins.map((line) => line.outcome)).toEqual(['failed', 'failed', 'ok']);
		expect(logins[0]!.userId).toEqual(logins[2]!.userId);
		expect(logins[1]!.userId).toBeNull();
		for (const secret of [PASSWORD, 'wrong password here', 'mallory-typed-her-password', token])
			expect(h.logs.text()).not.toContain(secret);
	});

	it('API tokens: made from a session, shown once, stored hashed, refused once revoked', async () => {
		const cookie = await session(h, 'alice');
		const made = await h.api('/tokens', jsonInit('POST', { name: 'backup script' }, withCookie(cookie)));
		expect(made.status).toBe(201);
		const token = (await made.json()) as CreatedApiToken;
		expect(token.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
		const listed = (await (await h.api('/tokens', { headers: { cookie } })).json()) as { tokens: unknown[] };
		expect(listed.tokens).toEqual([{ id: token.id, name: 'backup script', createdAt: h.clock.now(), lastUsedAt: null }]);

		// A script: bearer token, no cookie, no Origin (bearer requests carry no CSRF risk).
		expect(await outcome((await create(h, bearer(token.token))).response)).toBe('201');
		expect((await (await h.api('/me', { headers: bearer(token.token) })).json()) as AccountInfo).toMatchObject({ via: 'token' });
		// A token cannot mint tokens (a leaked one must not outlive its revocation).
		expect(await outcome(await h.api('/tokens', jsonInit('POST', { name: 'more' }, bearer(token.token))))).toBe('403 FORBIDDEN');

		const database = await readFile(join(h.config.dataDir, 'sealdrop.sqlite'));
		expect(database.includes(token.token)).toBe(false);
		expect(database.includes(Buffer.from(token.token, 'base64url'))).toBe(false);

		expect((await h.api(`/tokens/${token.id}`, { method: 'DELETE', headers: withCookie(cookie) })).status).toBe(204);
		expect(await outcome((await create(h, bearer(token.token))).response)).toBe('401 LOGIN_REQUIRED');
		expect(await outcome(await h.api(`/tokens/${token.id}`, { method: 'DELETE', headers: withCookie(cookie) }))).toBe('404 NOT_FOUND');
	});

	it('login and token bodies refuse an unknown field, as every JSON body of the API does', async () => {
		const details = async (response: Response) => ((await response.json()) as { error: { details: unknown } }).error.details;
		const typo = await h.api('/login', jsonInit('POST', { name: 'alice', password: PASSWORD, remember: true }, SAME_ORIGIN));
		expect(await outcome(typo.clone())).toBe('400 INVALID_REQUEST');
		expect(await details(typo)).toEqual({ field: 'body' });
		const cookie = await session(h, 'alice');
		const made = await h.api('/tokens', jsonInit('POST', { name: 'script', expires: 3600 }, withCookie(cookie)));
		expect(await outcome(made.clone())).toBe('400 INVALID_REQUEST');
		expect(await details(made)).toEqual({ field: 'body' });
		const listed = (await (await h.api('/tokens', { headers: { cookie } })).json()) as { tokens: unknown[] };
		expect(listed.tokens).toEqual([]);
	});

	it('a disabled user: session and tokens stop working, login says why', async () => {
		const cookie = await session(h, 'alice');
		const token = (await (await h.api('/tokens', jsonInit('POST', { name: 'ci' }, withCookie(cookie)))).json()) as CreatedApiToken;
		expect(await h.meta.accounts.setDisabled('alice', true, h.clock.now())).toBe(true);
		expect(await outcome((await create(h, withCookie(cookie))).response)).toBe('401 LOGIN_REQUIRED');
		expect(await outcome((await create(h, bearer(token.token))).response)).toBe('401 LOGIN_REQUIRED');
		expect(await outcome(await h.api('/me', { headers: { cookie } }))).toBe('401 LOGIN_REQUIRED');
		expect(await outcome(await login(h, 'alice'))).toBe('403 ACCOUNT_DISABLED');
		expect(await outcome(await login(h, 'alice', 'not the password'))).toBe('401 LOGIN_FAILED');
	});

	it('a session ends after SEALDROP_SESSION_TTL', async () => {
		const cookie = await session(h, 'alice');
		h.clock.advance(h.config.sessionTtl * 1000 - 1);
		expect((await h.api('/me', { headers: { cookie } })).status).toBe(200);
		h.clock.advance(1);
		expect(await outcome(await h.api('/me', { headers: { cookie } }))).toBe('401 LOGIN_REQUIRED');
	});
});

describe('limits of an account', () => {
	let h: Harness;
	beforeEach(async () => {
		h = await restricted();
	});
	afterEach(() => h.close());

	it('a byte quota refuses the share that would pass it, with a clear error, until space is freed', async () => {
		await addUser(h, 'bob', { quotaBytes: 5000 });
		const cookie = await session(h, 'bob');
		const first = await create(h, withCookie(cookie), { size: 3000 });
		expect(first.response.status).toBe(201);
		const second = await create(h, withCookie(cookie), { size: 3000 });
		expect(second.response.status).toBe(403);
		expect(await second.response.json()).toEqual({
			error: {
				code: 'QUOTA_EXCEEDED',
				message: 'Your account may keep 5000 bytes in live shares; 3000 are used and this share needs 3000.',
				details: { quota: 'bytes', limit: 5000, used: 3000, size: 3000 }
			}
		});
		expect((await h.api(`/shares/${first.share!.id}`, { method: 'DELETE', headers: bearer(first.share!.ownerToken) })).status).toBe(204);
		expect((await create(h, withCookie(cookie), { size: 3000 })).response.status).toBe(201);
	});

	it('a share-count quota', async () => {
		await addUser(h, 'cleo', { quotaShares: 1 });
		const cookie = await session(h, 'cleo');
		expect((await create(h, withCookie(cookie))).response.status).toBe(201);
		const refused = await create(h, withCookie(cookie));
		expect(await refused.response.json()).toMatchObject({
			error: { code: 'QUOTA_EXCEEDED', details: { quota: 'shares', limit: 1, used: 1 } }
		});
	});

	it("a user's maximum expiry holds on create and on extend", async () => {
		await addUser(h, 'dan', { maxExpiry: 3600 });
		const cookie = await session(h, 'dan');
		const long = await create(h, withCookie(cookie), { expiresIn: 86400 });
		expect(await long.response.json()).toMatchObject({ error: { code: 'EXPIRY_NOT_ALLOWED', details: { maxExpiry: 3600 } } });
		const { share } = await create(h, withCookie(cookie), { expiresIn: 3600 });
		for (let n = 0; n < share!.parts; n++) {
			await h.api(`/shares/${share!.id}/parts/${n}`, {
				method: 'PUT',
				body: asBody(partBytes(share!, n)),
				headers: bearer(share!.ownerToken)
			});
		}
		expect((await completeShare(h, share!)).status).toBe(200);
		const extend = (expiresIn: number) => h.api(`/shares/${share!.id}`, jsonInit('PATCH', { expiresIn }, bearer(share!.ownerToken)));
		expect(await outcome(await extend(86400))).toBe('403 EXPIRY_NOT_ALLOWED');
		expect(await outcome(await extend(300))).toBe('200');
	});
});

describe('login rate limits', () => {
	let h: Harness;
	afterEach(() => h.close());

	it('per address: 429 with Retry-After past the limit, then it recovers', async () => {
		address = '203.0.113.1';
		h = await restricted({ SEALDROP_RATE_LIMIT_LOGIN: '3/60' });
		await addUser(h, 'erin');
		for (let i = 0; i < 3; i++) expect(await outcome(await login(h, 'erin', 'not it'))).toBe('401 LOGIN_FAILED');
		const limited = await login(h, 'erin');
		expect(await outcome(limited)).toBe('429 RATE_LIMITED');
		expect(limited.headers.get('retry-after')).toBe('60');
		address = '203.0.113.2';
		expect(await outcome(await login(h, 'erin'))).toBe('200');
		address = '203.0.113.1';
		h.clock.advance(60_000);
		expect(await outcome(await login(h, 'erin'))).toBe('200');
	});

	it('per name: guesses spread over many addresses are stopped too, for 15 minutes', async () => {
		h = await restricted({ SEALDROP_RATE_LIMIT_LOGIN: 'off' });
		await addUser(h, 'finn');
		for (let i = 0; i < 10; i++) {
			address = `192.0.2.${i}`;
			expect(await outcome(await login(h, 'FINN', `guess ${i}`))).toBe('401 LOGIN_FAILED');
		}
		address = '192.0.2.200';
		expect(await outcome(await login(h, 'finn'))).toBe('429 RATE_LIMITED');
		expect(h.logs.lines.filter((l) => l.audit === 'user.login').at(-1)).toMatchObject({ outcome: 'rate_limited' });
		h.clock.advance(15 * 60_000);
		expect(await outcome(await login(h, 'finn'))).toBe('200');
	});
});

describe('open mode (the default)', () => {
	it('has no account endpoints and takes uploads from anyone', async () => {
		const h = await createHarness();
		try {
			expect(await (await h.api('/config')).json()).toMatchObject({ uploadAccess: 'open' });
			expect(await outcome(await h.api('/login', jsonInit('POST', { name: 'a', password: 'b' }, SAME_ORIGIN)))).toBe('404 NOT_FOUND');
			expect((await create(h, {})).response.status).toBe(201);
		} finally {
			await h.close();
		}
	});
});

describe('secrets an operator could get wrong', () => {
	it('refuses known-weak passwords and accepts a long random one', () => {
		for (const weak of [
			'short1!',
			'Password1234!',
			'password2024',
			'aaaaaaaaaaaaaaaa',
			'qwertyuiop123',
			'123456789012',
			'sealdrop-sealdrop',
			'alice-is-great-2024'
		]) {
			expect(weakPasswordReason(weak, 'alice'), weak).toBeDefined();
		}
		expect(weakPasswordReason(PASSWORD, 'alice')).toBeUndefined();
	});

	it('hashes with Argon2id at the required strength', async () => {
		const stored = await hashPassword(PASSWORD);
		expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
		expect(hashMeetsPolicy(stored)).toBe(true);
		expect(hashMeetsPolicy(stored.replace('m=19456', 'm=1024'))).toBe(false);
		expect(hashMeetsPolicy(stored.replace('argon2id', 'argon2i'))).toBe(false);
	});

	it('the server refuses to start in restricted mode while an account has a weak password hash', async () => {
		const dir = await tempDir();
		const config = { ...testConfig(dir, { SEALDROP_UPLOAD_ACCESS: 'restricted', SEALDROP_PORT: '0' }) };
		const meta = await openSqliteMetaStore({ file: join(config.dataDir, 'sealdrop.sqlite') });
		await meta.accounts.addUser({
			id: 'weak-user-id-0001',
			name: 'legacy',
			// A fast hash someone wrote by hand: cheap to crack if the database leaks.
			passwordHash: '$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$' + 'A'.repeat(43),
			createdAt: 0,
			quotaBytes: null,
			quotaShares: null,
			maxExpiry: null
		});
		await meta.close();
		const refused = await startSealdrop(config, { logger: createLogger('silent') }).catch((error: unknown) => error);
		expect(refused).toBeInstanceOf(ConfigError);
		expect((refused as ConfigError).problems.join()).toContain('reset-password legacy');
		// Open mode does not use accounts, so it starts.
		const open = await startSealdrop({ ...config, uploadAccess: 'open' }, { logger: createLogger('silent') });
		await open.close();
	});

	it('refuses restricted mode on a plain-http public URL other than localhost', () => {
		expect(configProblems({ SEALDROP_UPLOAD_ACCESS: 'restricted', SEALDROP_PUBLIC_URL: 'http://files.example.org' }).join()).toContain(
			'restricted uploads need https'
		);
		expect(() =>
			testConfig('/tmp/x', { SEALDROP_UPLOAD_ACCESS: 'restricted', SEALDROP_PUBLIC_URL: 'http://localhost:8080' })
		).not.toThrow();
	});
});
