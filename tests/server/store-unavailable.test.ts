import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FsBlobStore } from '../../server/stores/blob/fs';
import { Secret } from '../../server/config/stores';
import { StoreUnavailableError } from '../../server/stores/errors';
import { openPostgresMetaStore } from '../../server/stores/meta/postgres';
import { openSqliteMetaStore } from '../../server/stores/meta/sqlite';
import type { MetaStore, ShareStore } from '../../server/stores/meta/types';
import { freshSchema } from '../support/postgres';
import { describeWithServices } from '../support/tier';
import { API, asBody, bearer, createHarness, createShare, outcome, partBytes, readyShare, type Harness } from './helpers';

/**
 * Storage that is busy or full reaches the HTTP layer as one StoreUnavailableError, which it
 * answers with 503 UNAVAILABLE and Retry-After: the failures here are real ones, made below the
 * stores (a SQLite write lock held by another connection, a PostgreSQL error raised by the
 * database itself, a disk that is full), not errors thrown by a test double above them.
 */

// Part files written while `disk.full` go to /dev/full, where every write fails with ENOSPC.
const disk = vi.hoisted(() => ({ full: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
	const real = await importOriginal<typeof import('node:fs/promises')>();
	const open: typeof real.open = (path, ...rest) =>
		disk.full && String(path).includes(`${'/'}.tmp${'/'}`) ? real.open('/dev/full', 'w') : real.open(path, ...rest);
	return { ...real, default: { ...real, open }, open };
});

let h: Harness | undefined;
afterEach(async () => {
	disk.full = false;
	await h?.close();
	h = undefined;
});

async function expectUnavailable(response: Response): Promise<void> {
	expect(await outcome(response.clone())).toBe('503 UNAVAILABLE');
	expect(response.headers.get('retry-after')).toBe('5');
	expect(h?.logs.lines.find((line) => line.msg === 'storage unavailable')).toBeDefined();
}

const deleteShare = (harness: Harness, id: string, ownerToken: string) =>
	harness.app.request(`${API}/shares/${id}`, { method: 'DELETE', headers: bearer(ownerToken) });

describe('storage that is busy or full', () => {
	it('SQLite: a write lock held by another connection is 503 UNAVAILABLE with Retry-After', async () => {
		let meta: MetaStore | undefined;
		h = await createHarness({
			openStores: async (config) => {
				// A short busy_timeout, so the write gives up at once instead of after 5 s.
				meta = await openSqliteMetaStore({ file: join(config.dataDir, 'sealdrop.sqlite'), busyTimeoutMs: 10 });
				const blobs = await FsBlobStore.open(join(config.dataDir, 'blobs'));
				return { meta, blobs, close: () => meta!.close() };
			}
		});
		const share = await readyShare(h);
		const other = new SQLite(join(h.config.dataDir, 'sealdrop.sqlite'));
		try {
			other.exec('BEGIN IMMEDIATE'); // holds the write lock; readers still read (WAL)
			await expectUnavailable(await deleteShare(h, share.id, share.ownerToken));
			// The store said so in its own type; the cause keeps SQLite's code for the logs.
			const failure = await meta!.shares.markDeleted(share.id, h.clock.now()).catch((error: unknown) => error);
			expect(failure).toBeInstanceOf(StoreUnavailableError);
			expect(failure).toMatchObject({ store: 'meta', reason: 'SQLITE_BUSY', cause: { code: 'SQLITE_BUSY' } });
		} finally {
			other.exec('ROLLBACK');
			other.close();
		}
		expect((await deleteShare(h, share.id, share.ownerToken)).status).toBe(204);
	});

	it('a full disk under the blob store is 503 UNAVAILABLE with Retry-After', async () => {
		h = await createHarness();
		const share = await createShare(h);
		disk.full = true;
		const put = await h.app.request(`${API}/shares/${share.id}/parts/0`, {
			method: 'PUT',
			body: asBody(partBytes(share, 0)),
			headers: bearer(share.ownerToken)
		});
		await expectUnavailable(put);
		const logged = h.logs.lines.find((line) => line.msg === 'storage unavailable') as { err?: { message?: string } } | undefined;
		expect(logged?.err?.message).toContain('ENOSPC');
		disk.full = false;
		expect(
			(await h.api(`/shares/${share.id}/parts/0`, { method: 'PUT', body: asBody(partBytes(share, 0)), headers: bearer(share.ownerToken) }))
				.status
		).toBe(200);
	});

	it('the HTTP layer knows no backend code: a raw SQLITE_BUSY thrown above the stores is a 500', async () => {
		h = await createHarness({
			wrapMeta: (meta) => ({
				...meta,
				shares: Object.assign(Object.create(meta.shares) as ShareStore, {
					get: () => Promise.reject(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }))
				})
			})
		});
		const response = await h.app.request(`${API}/shares/${'A'.repeat(22)}`);
		expect(await outcome(response)).toBe('500 INTERNAL');
	});
});

describeWithServices('PostgreSQL that is busy', () => {
	it('a serialization failure (SQLSTATE 40001) is 503 UNAVAILABLE with Retry-After', async () => {
		const schema = await freshSchema('unavailable');
		let meta: MetaStore | undefined;
		h = await createHarness({
			openStores: async (config) => {
				meta = await openPostgresMetaStore({ url: new Secret(schema.url) });
				const blobs = await FsBlobStore.open(join(config.dataDir, 'blobs'));
				return {
					meta,
					blobs,
					async close() {
						await meta!.close();
						await schema.drop();
					}
				};
			}
		});
		const share = await readyShare(h);
		// The database itself answers every change of a share with a serialization failure.
		await schema.query(`create function fail_40001() returns trigger language plpgsql as $$
			begin raise exception 'could not serialize access' using errcode = '40001'; end $$`);
		await schema.query('create trigger fail_40001 before update on shares for each row execute function fail_40001()');
		await expectUnavailable(await deleteShare(h, share.id, share.ownerToken));
		const failure = await meta!.shares.markDeleted(share.id, h.clock.now()).catch((error: unknown) => error);
		expect(failure).toBeInstanceOf(StoreUnavailableError);
		expect(failure).toMatchObject({ store: 'meta', reason: '40001', cause: { code: '40001' } });
		await schema.query('drop trigger fail_40001 on shares');
		expect((await deleteShare(h, share.id, share.ownerToken)).status).toBe(204);
	});
});
