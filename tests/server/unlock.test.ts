/**
 * Format v2 passwords on the server (FORMAT.md §3, API.md "Unlock"): what create accepts, the
 * unlock endpoint's states and errors, its attempt limit across instances, and the sweeper
 * wiping the key share with the other secrets.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { Context, Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app';
import { Secret } from '../../server/config/stores';
import { createLogger } from '../../server/logger';
import { FsBlobStore } from '../../server/stores/blob/fs';
import { openPostgresMetaStore } from '../../server/stores/meta/postgres';
import { openSqliteMetaStore } from '../../server/stores/meta/sqlite';
import type { MetaStore } from '../../server/stores/meta/types';
import { sweep } from '../../server/sweeper';
import type { CreateShareResponse, UnlockResponse } from '../../src/lib/api/types';
import { createShareKeys, type Argon2Params } from '../../src/lib/crypto';
import { freshSchema } from '../support/postgres';
import { withServices } from '../support/tier';
import {
	API,
	asBody,
	b64,
	bearer,
	createBody,
	createHarness,
	FakeClock,
	HOUR,
	jsonInit,
	outcome,
	sha256,
	tempDir,
	testConfig,
	type Harness
} from './helpers';

const KDF: Argon2Params = { memoryKiB: 65536, passes: 3, parallelism: 1 };

/** A real header and what a v2 sender hands the server; the password key stands for Argon2id's output. */
async function v2Share(options: { password: boolean; version?: 1 | 2 }) {
	const secret = randomBytes(32);
	const made = await createShareKeys({
		secret,
		version: options.version ?? 2,
		kdf: options.password ? KDF : null,
		passwordKey: options.password ? randomBytes(32) : undefined,
		recordSize: 1024
	});
	const fields = made.password && {
		keyShare: b64(made.password.keyShare),
		keyCommitment: b64(made.password.keyCommitment),
		unlockTokenHash: b64(sha256(made.password.unlockToken))
	};
	return { header: made.headerBytes, fields, unlockToken: made.password && b64(made.password.unlockToken), held: made.password };
}

const wrongToken = () => b64(randomBytes(32));

describe('create: the password field', () => {
	let h: Harness;
	afterEach(async () => {
		await h?.close();
	});

	const create = (body: unknown) => h.api('/shares', jsonInit('POST', body));
	const body = (header: Uint8Array, password?: unknown) => ({
		...createBody({ size: 1000, partSize: 1000, header }, { owner: randomBytes(32), read: randomBytes(32) }),
		...(password === undefined ? {} : { password })
	});

	it('is required by a v2 header with a password, refused by any other header, and v1 headers are accepted as before', async () => {
		h = await createHarness();
		const locked = await v2Share({ password: true });
		const open = await v2Share({ password: false });
		const v1 = await v2Share({ password: true, version: 1 });
		const v1Open = await v2Share({ password: false, version: 1 });
		const anyFields = locked.fields;

		expect(await outcome(await create(body(locked.header, locked.fields)))).toBe('201');
		expect(await outcome(await create(body(v1.header)))).toBe('201');
		expect(await outcome(await create(body(v1Open.header)))).toBe('201');
		expect(await outcome(await create(body(open.header)))).toBe('201');
		for (const [header, password] of [
			[locked.header, undefined],
			[open.header, anyFields],
			[v1.header, anyFields],
			[v1Open.header, anyFields]
		] as const) {
			const response = await create(body(header, password));
			expect(response.status).toBe(400);
			expect(await response.json()).toMatchObject({ error: { code: 'INVALID_REQUEST', details: { field: 'password' } } });
		}
	});

	it.each([
		['a short key share', { keyShare: b64(randomBytes(31)) }],
		['a padded key commitment', { keyCommitment: `${b64(randomBytes(32))}=` }],
		['a missing unlock token hash', { unlockTokenHash: undefined }],
		['an unknown field', { extra: 'x' }]
	])('refuses %s', async (_, change) => {
		h = await createHarness();
		const locked = await v2Share({ password: true });
		const response = await create(body(locked.header, { ...locked.fields, ...change }));
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ error: { code: 'INVALID_REQUEST', message: expect.stringContaining('password') } });
	});
});

describe('POST /shares/:id/unlock', () => {
	let h: Harness;
	afterEach(async () => {
		await h?.close();
	});

	/** Tests name the client in a header; the real server uses the TCP peer. */
	const fromHeader = (c: Context) => c.req.header('x-test-client');
	const unlock = (id: string, token: string, client = 'alice') =>
		h.api(`/shares/${id}/unlock`, { method: 'POST', headers: { ...bearer(token), 'x-test-client': client } });

	async function created(password = true) {
		const share = await v2Share({ password });
		const owner = randomBytes(32);
		const request = { ...createBody({ size: 1000, partSize: 1000, header: share.header }, { owner, read: randomBytes(32) }) };
		const response = await h.api('/shares', jsonInit('POST', { ...request, ...(share.fields ? { password: share.fields } : {}) }));
		expect(response.status, await response.clone().text()).toBe(201);
		const { id } = (await response.json()) as CreateShareResponse;
		return { ...share, id, owner: b64(owner) };
	}
	async function ready(password = true) {
		const share = await created(password);
		const owner = bearer(share.owner);
		expect((await h.api(`/shares/${share.id}/parts/0`, { method: 'PUT', body: asBody(randomBytes(1000)), headers: owner })).status).toBe(
			200
		);
		expect((await h.api(`/shares/${share.id}/complete`, { method: 'POST', headers: owner })).status).toBe(200);
		return share;
	}

	it('gives the key share and its commitment for the right unlock token, and nothing for a wrong one', async () => {
		h = await createHarness({ app: { clientAddress: fromHeader } });
		const share = await ready();
		const right = await unlock(share.id, share.unlockToken!);
		expect(right.status).toBe(200);
		expect((await right.json()) as UnlockResponse).toEqual({
			keyShare: b64(share.held!.keyShare),
			keyCommitment: b64(share.held!.keyCommitment)
		});
		const wrong = await unlock(share.id, wrongToken());
		expect(await wrong.json()).toEqual({ error: { code: 'WRONG_PASSWORD', message: 'Wrong password.' } });
		expect(wrong.status).toBe(403);
		// A malformed token is a wrong one too; no token at all is 401.
		expect(await outcome(await unlock(share.id, 'short'))).toBe('403 WRONG_PASSWORD');
		expect(await outcome(await h.api(`/shares/${share.id}/unlock`, { method: 'POST' }))).toBe('401 UNAUTHORIZED');
		// Nothing was spent, and nothing of the answer is in the logs.
		expect(await (await h.api(`/shares/${share.id}`)).json()).toMatchObject({ downloads: 0 });
		expect(JSON.stringify(h.logs.lines)).not.toContain(b64(share.held!.keyShare));
	});

	it('answers the states as the metadata endpoint does: 404, 410, and 400 for a share with nothing to unlock; a share still uploading unlocks (streaming)', async () => {
		h = await createHarness({ app: { clientAddress: fromHeader } });
		expect(await outcome(await unlock('AAAAAAAAAAAAAAAAAAAAAA', wrongToken()))).toBe('404 NOT_FOUND');
		expect(await outcome(await unlock('not-an-id', wrongToken()))).toBe('400 INVALID_ID');
		const uploading = await created();
		expect(await outcome(await unlock(uploading.id, uploading.unlockToken!))).toBe('200');
		const open = await ready(false);
		const refused = await unlock(open.id, wrongToken());
		expect(await refused.json()).toMatchObject({ error: { code: 'INVALID_REQUEST', details: { field: 'password' } } });
		const deleted = await ready();
		expect((await h.api(`/shares/${deleted.id}`, { method: 'DELETE', headers: bearer(deleted.owner) })).status).toBe(204);
		expect(await outcome(await unlock(deleted.id, deleted.unlockToken!))).toBe('410 DELETED');
		const expiring = await ready();
		h.clock.advance(25 * HOUR);
		expect(await outcome(await unlock(expiring.id, expiring.unlockToken!))).toBe('410 EXPIRED');
	});

	it('the sweeper wipes the key share, its commitment and the unlock token hash with the other secrets', async () => {
		h = await createHarness();
		const share = await ready();
		h.clock.advance(25 * HOUR);
		expect((await sweep({ config: h.config, clock: h.clock, meta: h.meta, blobs: h.blobs, logger: h.logs.logger })).expired).toBe(1);
		const db = new SQLite(join(h.config.dataDir, 'sealdrop.sqlite'), { readonly: true });
		try {
			const row = db
				.prepare('select state, key_share, key_commitment, unlock_token_hash, read_token_hash from shares where id = ?')
				.get(share.id);
			expect(row).toEqual({ state: 'expired', key_share: null, key_commitment: null, unlock_token_hash: null, read_token_hash: null });
		} finally {
			db.close();
		}
	});
});

/** Two stores on one database: two server instances. */
interface TwoStores {
	a: MetaStore;
	b: MetaStore;
	close(): Promise<void>;
}

async function sqliteFile(): Promise<TwoStores> {
	const dir = await tempDir();
	const file = join(dir, 'shared.sqlite');
	const [a, b] = [await openSqliteMetaStore({ file }), await openSqliteMetaStore({ file })];
	return {
		a,
		b,
		async close() {
			await Promise.all([a.close(), b.close()]);
			await rm(dir, { recursive: true, force: true });
		}
	};
}

async function postgres(): Promise<TwoStores> {
	const schema = await freshSchema('unlock');
	const a = await openPostgresMetaStore({ url: new Secret(schema.url) });
	const b = await openPostgresMetaStore({ url: new Secret(schema.url) });
	return {
		a,
		b,
		async close() {
			await Promise.all([a.close(), b.close()]);
			await schema.drop();
		}
	};
}

describe.each([{ name: 'one SQLite file', open: sqliteFile }, ...withServices({ name: 'PostgreSQL', open: postgres })])(
	'two app instances on $name',
	({ open }) => {
		it('(4) after 10 wrong passwords the 11th guess is refused with 429 even when it is the right one, until the wait ends; then the right one opens', async () => {
			const dir = await tempDir();
			const stores = await open();
			try {
				const config = testConfig(dir);
				const blobs = await FsBlobStore.open(join(config.dataDir, 'blobs'));
				const clock = new FakeClock();
				const fromHeader = (c: Context) => c.req.header('x-test-client');
				const [a, b] = [stores.a, stores.b].map((meta) =>
					createApp({ config, clock, meta, blobs, logger: createLogger('silent'), clientAddress: fromHeader })
				) as [Hono, Hono];
				const call = (app: Hono, path: string, init?: RequestInit) => app.request(API + path, init);

				const share = await v2Share({ password: true });
				const owner = randomBytes(32);
				const request = createBody({ size: 1000, partSize: 1000, header: share.header }, { owner, read: randomBytes(32) });
				const createdResponse = await call(a, '/shares', jsonInit('POST', { ...request, password: share.fields }));
				expect(createdResponse.status).toBe(201);
				const { id } = (await createdResponse.json()) as CreateShareResponse;
				const put = { method: 'PUT', body: asBody(randomBytes(1000)), headers: bearer(b64(owner)) };
				expect((await call(b, `/shares/${id}/parts/0`, put)).status).toBe(200);
				expect((await call(a, `/shares/${id}/complete`, { method: 'POST', headers: bearer(b64(owner)) })).status).toBe(200);

				const unlock = (app: Hono, token: string, client: string) =>
					call(app, `/shares/${id}/unlock`, { method: 'POST', headers: { ...bearer(token), 'x-test-client': client } });
				// Ten wrong guesses from ten addresses, alternating instances: no client is over its own limit.
				for (let i = 0; i < 10; i++)
					expect(await outcome(await unlock(i % 2 ? a : b, wrongToken(), `10.9.0.${i}`))).toBe('403 WRONG_PASSWORD');
				for (const app of [a, b]) {
					const refused = await unlock(app, share.unlockToken!, 'recipient');
					expect(await outcome(refused)).toBe('429 TOO_MANY_ATTEMPTS');
					expect(refused.headers.get('retry-after')).toBe('1');
				}
				clock.advance(999);
				expect(await outcome(await unlock(b, share.unlockToken!, 'recipient'))).toBe('429 TOO_MANY_ATTEMPTS');
				clock.advance(1);
				const opened = await unlock(b, share.unlockToken!, 'recipient');
				expect(opened.status).toBe(200);
				expect(((await opened.json()) as UnlockResponse).keyShare).toBe(share.fields!.keyShare);
			} finally {
				await stores.close();
				await rm(dir, { recursive: true, force: true });
			}
		}, 30_000);
	}
);
