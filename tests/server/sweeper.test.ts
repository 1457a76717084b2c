import { randomBytes } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteMetaStore } from '../../server/stores/meta/sqlite';
import type { BlobStore } from '../../server/stores/blob/types';
import { sweep } from '../../server/sweeper';
import {
	bearer,
	captureLogs,
	claim,
	createHarness,
	createShare,
	DAY,
	HOUR,
	listFiles,
	outcome,
	putPart,
	readyShare,
	tempDir,
	type ClientShare,
	type Harness
} from './helpers';

const deps = (h: Harness) => ({ config: h.config, clock: h.clock, meta: h.meta, blobs: h.blobs, logger: h.logs.logger });

describe('sweeper', () => {
	let h: Harness;
	beforeEach(async () => {
		h = await createHarness();
	});
	afterEach(async () => {
		await h.close();
	});

	const files = async (share: ClientShare) => (await listFiles(h.blobDir)).filter((f) => f.startsWith(share.id));
	const audits = (event: string) => h.logs.lines.filter((line) => line.audit === event);

	it('leaves live shares alone', async () => {
		const share = await readyShare(h);
		await createShare(h);
		expect(await sweep(deps(h))).toEqual({ expired: 0, exhausted: 0, abandoned: 0, blobsDeleted: 0, ticketsDeleted: 0, purged: 0 });
		expect(await files(share)).toHaveLength(3);
		expect((await h.api(`/shares/${share.id}`)).status).toBe(200);
	});

	it('expires a share: blob and secrets gone, 410 until purged, then 404', async () => {
		const share = await readyShare(h, { expiresIn: 3600 });
		h.clock.advance(HOUR - 1);
		expect((await sweep(deps(h))).expired).toBe(0);
		h.clock.advance(1);
		expect(await sweep(deps(h))).toMatchObject({ expired: 1, blobsDeleted: 1 });
		expect(audits('share.expire')).toMatchObject([{ shareId: share.id }]);
		expect(await files(share)).toEqual([]);
		expect(await h.meta.shares.get(share.id)).toMatchObject({
			state: 'expired',
			header: null,
			metadata: null,
			readTokenHash: null,
			ownerTokenHash: null,
			blobGone: true,
			endedAt: h.clock.now()
		});
		expect(await h.meta.parts.list(share.id)).toEqual([]);
		expect(await outcome(await h.api(`/shares/${share.id}`))).toBe('410 EXPIRED');
		expect(await outcome(await h.api(`/shares/${share.id}/claim`, { method: 'POST', headers: bearer(share.readToken) }))).toBe(
			'410 EXPIRED'
		);
		expect(await outcome(await h.api(`/shares/${share.id}`, { method: 'DELETE', headers: bearer(share.ownerToken) }))).toBe('410 EXPIRED');

		// A second pass has nothing left to do.
		expect(await sweep(deps(h))).toMatchObject({ expired: 0, blobsDeleted: 0, purged: 0 });
		h.clock.advance(h.config.tombstoneDays * DAY - 1);
		expect((await sweep(deps(h))).purged).toBe(0);
		h.clock.advance(1);
		expect((await sweep(deps(h))).purged).toBe(1);
		expect(await h.meta.shares.get(share.id)).toBeUndefined();
		expect(await outcome(await h.api(`/shares/${share.id}`))).toBe('404 NOT_FOUND');
	});

	it('sweeps an abandoned upload', async () => {
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		await putPart(h, share, 0);
		h.clock.advance(h.config.abandonAfter * 1000 - 1);
		await putPart(h, share, 1); // a part keeps the upload alive
		h.clock.advance(h.config.abandonAfter * 1000 - 1);
		expect((await sweep(deps(h))).abandoned).toBe(0);
		h.clock.advance(1);
		expect(await sweep(deps(h))).toMatchObject({ abandoned: 1, blobsDeleted: 1 });
		expect(audits('share.abandon')).toMatchObject([{ shareId: share.id }]);
		expect(await listFiles(h.blobDir)).toEqual([]);
		expect(await h.meta.shares.get(share.id)).toMatchObject({ state: 'abandoned', ownerTokenHash: null, blobGone: true });
		expect(await outcome(await putPart(h, share, 2))).toBe('410 EXPIRED');
		expect(await outcome(await h.api(`/shares/${share.id}`))).toBe('410 EXPIRED');
	});

	it('removes a spent share once its last ticket expired', async () => {
		const share = await readyShare(h, { maxDownloads: 1 });
		const { ticket, ticketExpiresAt } = await claim(h, share);
		expect((await sweep(deps(h))).exhausted).toBe(0);
		expect(await files(share)).toHaveLength(3);
		h.clock.t = ticketExpiresAt;
		expect(await sweep(deps(h))).toMatchObject({ exhausted: 1, blobsDeleted: 1, ticketsDeleted: 1 });
		expect(audits('share.exhaust')).toMatchObject([{ shareId: share.id }]);
		expect(await files(share)).toEqual([]);
		expect(await outcome(await h.api(`/shares/${share.id}`))).toBe('410 DOWNLOAD_LIMIT_REACHED');
		expect(await outcome(await h.api(`/shares/${share.id}/blob`, { headers: bearer(ticket) }))).toBe('410 DOWNLOAD_LIMIT_REACHED');
	});

	it('deletes expired tickets', async () => {
		const share = await readyShare(h, { maxDownloads: 5 });
		const { ticketExpiresAt } = await claim(h, share);
		h.clock.t = ticketExpiresAt;
		await claim(h, share);
		expect((await sweep(deps(h))).ticketsDeleted).toBe(1);
	});

	it('retries a blob that could not be deleted', async () => {
		let failures = 1;
		await h.close();
		h = await createHarness({
			wrapBlobs: (blobs): BlobStore => ({
				...bind(blobs),
				delete: async (blob) => {
					if (failures-- > 0) throw Object.assign(new Error('disk on fire'), { code: 'EIO' });
					return blobs.delete(blob);
				}
			})
		});
		const share = await readyShare(h);
		expect((await h.api(`/shares/${share.id}`, { method: 'DELETE', headers: bearer(share.ownerToken) })).status).toBe(204);
		expect(await files(share)).toHaveLength(3);
		expect((await h.meta.shares.get(share.id))?.blobGone).toBe(false);
		expect(await sweep(deps(h))).toMatchObject({ blobsDeleted: 1 });
		expect(await files(share)).toEqual([]);
	});

	it('two instances sweeping at once: exactly one audit line per share', async () => {
		const shares = [await readyShare(h, { expiresIn: 300 }), await readyShare(h, { expiresIn: 300 })];
		h.clock.advance(300_000);
		const otherMeta = await openSqliteMetaStore({ file: join(h.config.dataDir, 'sealdrop.sqlite') });
		const otherLogs = captureLogs();
		try {
			const results = await Promise.all([
				sweep(deps(h)),
				sweep({ ...deps(h), meta: otherMeta, logger: otherLogs.logger }),
				sweep(deps(h)),
				sweep({ ...deps(h), meta: otherMeta, logger: otherLogs.logger })
			]);
			expect(results.reduce((sum, r) => sum + r.expired, 0)).toBe(2);
			const lines = [...h.logs.lines, ...otherLogs.lines].filter((l) => l.audit === 'share.expire');
			expect(lines.map((l) => l.shareId).sort()).toEqual(shares.map((s) => s.id).sort());
			for (const share of shares) expect(await files(share)).toEqual([]);
		} finally {
			await otherMeta.close();
		}
	});
});

describe('the SQLite file', () => {
	const KiB = 1024;
	const dbSize = async (h: Harness) => (await stat(join(h.config.dataDir, 'sealdrop.sqlite'))).size;

	it('shrinks once the sweeper has removed many large rows', async () => {
		const h = await createHarness({ env: { SEALDROP_MAX_METADATA_BYTES: String(64 * KiB) } });
		try {
			const shares = [];
			for (let i = 0; i < 100; i++) shares.push(await createShare(h, { metadata: randomBytes(60 * KiB) }));
			await sweep(deps(h));
			const full = await dbSize(h);
			expect(full).toBeGreaterThan(6000 * KiB);
			// Deleted: metadata and secrets are wiped at once, the rows purged after the tombstone days.
			for (const share of shares)
				expect((await h.api(`/shares/${share.id}`, { method: 'DELETE', headers: bearer(share.ownerToken) })).status).toBe(204);
			h.clock.advance(h.config.tombstoneDays * DAY + 1);
			expect(await sweep(deps(h))).toMatchObject({ purged: 100 });
			expect(await dbSize(h)).toBeLessThan(full / 10);
		} finally {
			await h.close();
		}
	});

	it('switches an existing database to incremental auto-vacuum', async () => {
		const dir = await tempDir();
		const file = join(dir, 'old.sqlite');
		try {
			const old = new SQLite(file);
			old.exec('CREATE TABLE t (x)');
			expect(old.pragma('auto_vacuum', { simple: true })).toBe(0);
			old.close();
			const meta = await openSqliteMetaStore({ file });
			await meta.close();
			const reopened = new SQLite(file, { readonly: true });
			expect(reopened.pragma('auto_vacuum', { simple: true })).toBe(2);
			reopened.close();
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
});

/** A plain object of a class instance's methods, so a test can replace one. */
function bind(store: BlobStore): BlobStore {
	return {
		begin: store.begin.bind(store),
		putPart: store.putPart.bind(store),
		complete: store.complete.bind(store),
		read: store.read.bind(store),
		delete: store.delete.bind(store),
		size: store.size?.bind(store),
		collectGarbage: store.collectGarbage?.bind(store)
	};
}
