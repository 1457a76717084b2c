import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newShareId } from '../../server/shares/tokens';
import { Secret } from '../../server/config/stores';
import type { NewUser } from '../../server/stores/meta/account-types';
import { openPostgresMetaStore } from '../../server/stores/meta/postgres';
import type { MetaStore, NewShare } from '../../server/stores/meta/types';
import { META_BACKENDS, type MetaDatabase } from '../support/meta-databases';
import { freshSchema } from '../support/postgres';
import { condition } from '../support/wait';
import { describeWithServices } from '../support/tier';

const T0 = Date.UTC(2030, 0, 1);
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$' + 'A'.repeat(43);

function newUser(name: string, overrides: Partial<NewUser> = {}): NewUser {
	return {
		id: randomBytes(12).toString('base64url'),
		name,
		passwordHash: HASH,
		createdAt: T0,
		quotaBytes: null,
		quotaShares: null,
		maxExpiry: null,
		...overrides
	};
}

function newShare(size = 1000): NewShare {
	return {
		id: newShareId(),
		size,
		partSize: 1024,
		parts: 1,
		header: randomBytes(83),
		metadata: randomBytes(100),
		readTokenHash: randomBytes(32),
		ownerTokenHash: randomBytes(32),
		expiresIn: 3600,
		maxDownloads: 1,
		createdAt: T0,
		blobUpload: null
	};
}

describe.each(META_BACKENDS)('AccountStore contract: $name', ({ fresh }) => {
	let db: MetaDatabase;
	let meta: MetaStore;
	beforeAll(async () => {
		db = await fresh();
		meta = await db.open();
	});
	afterAll(async () => {
		await meta.close();
		await db.drop();
	});

	it('adds users with unique names and keeps their limits', async () => {
		const user = newUser('ann', { quotaBytes: 7 * 1024 ** 4, quotaShares: 3, maxExpiry: 3600 });
		expect(await meta.accounts.addUser(user)).toBe(true);
		expect(await meta.accounts.addUser(newUser('ann'))).toBe(false);
		expect(await meta.accounts.findUserByName('ann')).toEqual({
			id: user.id,
			name: 'ann',
			passwordHash: HASH,
			disabled: false,
			quotaBytes: 7 * 1024 ** 4,
			quotaShares: 3,
			maxExpiry: 3600,
			createdAt: T0
		});
		expect(await meta.accounts.setLimits('ann', { quotaShares: null }, T0)).toBe(true);
		expect((await meta.accounts.findUserByName('ann'))?.quotaShares).toBeNull();
		expect((await meta.accounts.findUserByName('ann'))?.maxExpiry).toBe(3600);
		expect(await meta.accounts.setLimits('nobody', { quotaShares: 1 }, T0)).toBe(false);
	});

	it('finds a session until it expires, and never for a disabled user', async () => {
		const user = newUser('bea');
		await meta.accounts.addUser(user);
		const hash = randomBytes(32);
		await meta.accounts.createSession({ hash, userId: user.id, createdAt: T0, expiresAt: T0 + 1000 });
		expect((await meta.accounts.findSession(hash, T0 + 999))?.name).toBe('bea');
		expect(await meta.accounts.findSession(hash, T0 + 1000)).toBeUndefined();
		expect(await meta.accounts.findSession(randomBytes(32), T0)).toBeUndefined();
		expect(await meta.accounts.deleteExpiredSessions(T0 + 1000)).toBe(1);

		const other = randomBytes(32);
		await meta.accounts.createSession({ hash: other, userId: user.id, createdAt: T0, expiresAt: T0 + 10_000 });
		expect(await meta.accounts.setDisabled('bea', true, T0)).toBe(true);
		expect(await meta.accounts.findSession(other, T0)).toBeUndefined();
		// Disabling ended the session for good: enabling does not bring it back.
		await meta.accounts.setDisabled('bea', false, T0);
		expect(await meta.accounts.findSession(other, T0)).toBeUndefined();
	});

	it('API tokens work until revoked, and not while their user is disabled', async () => {
		const user = newUser('cy');
		await meta.accounts.addUser(user);
		const hash = randomBytes(32);
		await meta.accounts.createApiToken({ id: 'tok-cy-000000001', userId: user.id, name: 'backup', hash, createdAt: T0 });
		expect((await meta.accounts.findApiToken(hash, T0 + 5))?.name).toBe('cy');
		expect(await meta.accounts.listApiTokens(user.id)).toEqual([
			{ id: 'tok-cy-000000001', name: 'backup', createdAt: T0, lastUsedAt: T0 + 5 }
		]);

		await meta.accounts.setDisabled('cy', true, T0);
		expect(await meta.accounts.findApiToken(hash, T0)).toBeUndefined();
		await meta.accounts.setDisabled('cy', false, T0);
		expect((await meta.accounts.findApiToken(hash, T0))?.name).toBe('cy');

		expect(await meta.accounts.deleteApiToken('someone-else', 'tok-cy-000000001')).toBe(false);
		expect(await meta.accounts.deleteApiToken(user.id, 'tok-cy-000000001')).toBe(true);
		expect(await meta.accounts.findApiToken(hash, T0)).toBeUndefined();
	});

	it('a new password ends every session and API token of the user', async () => {
		const user = newUser('dee');
		await meta.accounts.addUser(user);
		const session = randomBytes(32);
		const token = randomBytes(32);
		await meta.accounts.createSession({ hash: session, userId: user.id, createdAt: T0, expiresAt: T0 + 10_000 });
		await meta.accounts.createApiToken({ id: 'tok-dee-00000001', userId: user.id, name: 'ci', hash: token, createdAt: T0 });
		expect(await meta.accounts.setPassword('dee', HASH.replace('AAAA', 'BBBB'), T0)).toBe(true);
		expect(await meta.accounts.findSession(session, T0)).toBeUndefined();
		expect(await meta.accounts.findApiToken(token, T0)).toBeUndefined();
		expect((await meta.accounts.findUserByName('dee'))?.passwordHash).toContain('BBBB');
	});

	it('counts live shares only, and refuses a share over either quota', async () => {
		const user = newUser('eve', { quotaBytes: 2500, quotaShares: 2 });
		await meta.accounts.addUser(user);
		const first = newShare(1000);
		expect(await meta.accounts.insertOwnedShare(user.id, first, T0)).toBeUndefined();
		expect(await meta.accounts.ownerLimits(first.id)).toEqual({ quotaBytes: 2500, quotaShares: 2, maxExpiry: null });
		expect(await meta.accounts.insertOwnedShare(user.id, newShare(1501), T0)).toEqual({ reason: 'bytes', used: 1000, limit: 2500 });
		expect(await meta.accounts.insertOwnedShare(user.id, newShare(1500), T0)).toBeUndefined();
		expect(await meta.accounts.insertOwnedShare(user.id, newShare(1), T0)).toEqual({ reason: 'bytes', used: 2500, limit: 2500 });
		await meta.accounts.setLimits('eve', { quotaBytes: null }, T0);
		expect(await meta.accounts.insertOwnedShare(user.id, newShare(1), T0)).toEqual({ reason: 'shares', used: 2, limit: 2 });
		expect(await meta.accounts.usage(user.id)).toEqual({ bytes: 2500, shares: 2 });

		// A deleted share no longer counts.
		expect(await meta.shares.markDeleted(first.id, T0)).toBe(true);
		expect(await meta.accounts.usage(user.id)).toEqual({ bytes: 1500, shares: 1 });
		expect(await meta.accounts.insertOwnedShare(user.id, newShare(1), T0)).toBeUndefined();

		await meta.accounts.setDisabled('eve', true, T0);
		expect(await meta.accounts.insertOwnedShare(user.id, newShare(1), T0)).toEqual({ reason: 'disabled' });
		// A share made without an account has no owner limits.
		const anonymous = newShare();
		await meta.shares.insert(anonymous);
		expect(await meta.accounts.ownerLimits(anonymous.id)).toBeUndefined();
	});

	it('concurrent uploads of one user cannot pass the share quota together', async () => {
		const user = newUser('fay', { quotaShares: 2 });
		await meta.accounts.addUser(user);
		// On PostgreSQL two instances race on separate connections; SQLite's share one here.
		const second = db.manyPerProcess ? await db.open() : meta;
		try {
			const results = await Promise.all(
				Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? meta : second).accounts.insertOwnedShare(user.id, newShare(10), T0))
			);
			expect(results.filter((r) => r === undefined)).toHaveLength(2);
			expect(await meta.accounts.usage(user.id)).toEqual({ bytes: 20, shares: 2 });
		} finally {
			if (second !== meta) await second.close();
		}
	});

	it('lists users with what they use', async () => {
		const users = await meta.accounts.listUsers();
		expect(users.map((u) => u.name)).toEqual(['ann', 'bea', 'cy', 'dee', 'eve', 'fay']);
		expect(users.find((u) => u.name === 'fay')?.usage).toEqual({ bytes: 20, shares: 2 });
		expect(users.find((u) => u.name === 'eve')?.disabled).toBe(true);
	});
});

describeWithServices('AccountStore on PostgreSQL: the quota check waits for another instance', () => {
	it('an upload that overlaps another one of the same user sees its share', async () => {
		const schema = await freshSchema('accounts_lock');
		const meta = await openPostgresMetaStore({ url: new Secret(schema.url) });
		try {
			const user = newUser('gil', { quotaShares: 1 });
			await meta.accounts.addUser(user);
			// Another instance in the middle of its own insertOwnedShare: it holds the user's row.
			await schema.query('begin');
			await schema.query('update users set updated_at = updated_at where id = $1', [user.id]);
			let settled = false;
			const mine = meta.accounts.insertOwnedShare(user.id, newShare(10), T0).finally(() => (settled = true));
			// Nothing announces a lock wait: ask PostgreSQL until a session is blocked by ours.
			await condition(
				async () => {
					const { rows } = await schema.query<{ blocked: boolean }>(
						'select exists (select 1 from pg_stat_activity where pg_backend_pid() = any(pg_blocking_pids(pid))) as blocked'
					);
					return rows[0]?.blocked === true;
				},
				{ what: "the store's insertOwnedShare to wait for the user's row lock" }
			);
			expect(settled).toBe(false);
			await schema.query(
				`insert into shares (id, state, size, part_size, parts, expires_in, max_downloads, downloads, created_at, last_part_at, blob_gone, owner_user_id)
				 values ($1, 'uploading', 10, 1024, 1, 3600, 1, 0, $2, $2, 0, $3)`,
				[newShareId(), T0, user.id]
			);
			await schema.query('commit');
			expect(await mine).toEqual({ reason: 'shares', used: 1, limit: 1 });
		} finally {
			await meta.close();
			await schema.drop();
		}
	}, 20_000);
});
