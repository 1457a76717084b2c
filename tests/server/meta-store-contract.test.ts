import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newShareId } from '../../server/shares/tokens';
import type { MetaStore, NewShare } from '../../server/stores/meta/types';
import { META_BACKENDS, type MetaDatabase } from '../support/meta-databases';

const T0 = Date.UTC(2030, 0, 1);
/** Past 2^32, so a 32-bit column or a lossy conversion would show. */
const BIG_SIZE = 7 * 1024 ** 4 + 123;

function newShare(overrides: Partial<NewShare> = {}): NewShare {
	return {
		id: newShareId(),
		size: 3000,
		partSize: 1024,
		parts: 3,
		header: randomBytes(83),
		metadata: randomBytes(300),
		readTokenHash: randomBytes(32),
		ownerTokenHash: randomBytes(32),
		expiresIn: 3600,
		maxDownloads: 5,
		createdAt: T0,
		blobUpload: 'upload-' + randomBytes(8).toString('hex'),
		...overrides
	};
}

const DAY_MS = 86_400_000;
const ticket = (expiresAt: number) => ({ hash: randomBytes(32), expiresAt });

describe.each(META_BACKENDS)('MetaStore contract: $name', ({ fresh }) => {
	let database: MetaDatabase;
	/** Two stores on one database: two server instances. */
	let a: MetaStore;
	let b: MetaStore;
	beforeAll(async () => {
		database = await fresh();
		a = await database.open();
		b = database.manyPerProcess ? await database.open() : a;
	});
	afterAll(async () => {
		await a?.close();
		if (b !== a) await b?.close();
		await database?.drop();
	});

	/** A share that is uploaded and ready, expiring at T0 + expiresIn. */
	async function ready(overrides: Partial<NewShare> = {}): Promise<NewShare> {
		const share = newShare(overrides);
		await a.shares.insert(share);
		expect(await a.parts.markReady(share.id, T0, T0 + share.expiresIn * 1000)).toBe(true);
		return share;
	}

	it('migrates at start-up: several instances at once on an empty database, then again', async () => {
		const other = await fresh();
		try {
			const stores = other.manyPerProcess
				? await Promise.all([other.open(), other.open(), other.open()])
				: [await other.open(), await other.open()];
			for (const store of stores) await store.ping();
			await Promise.all(stores.map((store) => store.close()));
			const again = await other.open();
			await again.shares.insert(newShare());
			await again.close();
		} finally {
			await other.drop();
		}
	});

	it('answers ping', async () => {
		await expect(a.ping()).resolves.toBeUndefined();
	});

	it('keeps every field exactly: bytes as bytes, BIGINT as numbers', async () => {
		const share = newShare({ size: BIG_SIZE, partSize: 64 * 1024 ** 2, parts: Math.ceil(BIG_SIZE / (64 * 1024 ** 2)) });
		await a.shares.insert(share);
		const got = await b.shares.get(share.id);
		expect(got).toEqual({
			id: share.id,
			state: 'uploading',
			size: BIG_SIZE,
			partSize: 64 * 1024 ** 2,
			parts: share.parts,
			header: expect.anything(),
			metadata: expect.anything(),
			readTokenHash: expect.anything(),
			ownerTokenHash: expect.anything(),
			password: null,
			expiresIn: 3600,
			expiresAt: null,
			maxDownloads: 5,
			downloads: 0,
			createdAt: T0,
			completedAt: null,
			lastPartAt: T0,
			lastClaimAt: null,
			endedAt: null,
			blobUpload: share.blobUpload,
			blobGone: false,
			completingSince: null,
			requestId: null,
			ephemeralKey: null
		});
		for (const key of ['header', 'metadata', 'readTokenHash', 'ownerTokenHash'] as const) {
			expect(Buffer.from(got?.[key] as Uint8Array).equals(share[key]), key).toBe(true);
		}
		expect(typeof got?.size).toBe('number');
		expect(await a.shares.get(newShareId())).toBeUndefined();
	});

	it('records parts (a repeat replaces), lists them in order, and stops at complete', async () => {
		const share = newShare();
		await a.shares.insert(share);
		expect(await a.parts.record(share.id, { n: 2, size: 952, etag: '"c"' }, T0 + 1)).toBe(true);
		expect(await b.parts.record(share.id, { n: 0, size: 1024, etag: '"a"' }, T0 + 2)).toBe(true);
		expect(await a.parts.record(share.id, { n: 0, size: 1024, etag: '"a2"' }, T0 + 3)).toBe(true);
		expect(await b.parts.record(share.id, { n: 1, size: 1024, etag: null }, T0 + 4)).toBe(true);
		expect(await b.parts.list(share.id)).toEqual([
			{ n: 0, size: 1024, etag: '"a2"' },
			{ n: 1, size: 1024, etag: null },
			{ n: 2, size: 952, etag: '"c"' }
		]);
		expect((await a.shares.get(share.id))?.lastPartAt).toBe(T0 + 4);

		expect(await a.parts.markReady(share.id, T0 + 5, T0 + 5 + 3600_000)).toBe(true);
		expect(await b.parts.markReady(share.id, T0 + 6, T0 + 6 + 3600_000)).toBe(false);
		expect(await b.parts.record(share.id, { n: 1, size: 1024, etag: null }, T0 + 7)).toBe(false);
		expect(await a.shares.get(share.id)).toMatchObject({ state: 'ready', completedAt: T0 + 5, expiresAt: T0 + 5 + 3600_000 });
		expect(await a.parts.record(newShareId(), { n: 0, size: 1, etag: null }, T0)).toBe(false);
	});

	it('completing: one complete takes the share, no part is recorded meanwhile, and only it ends the sealing', async () => {
		const share = newShare();
		await a.shares.insert(share);
		const on = { blobUpload: share.blobUpload };
		expect(await a.parts.record(share.id, { n: 0, size: 1024, etag: '"a"' }, T0 + 1, on)).toBe(true);
		expect(await b.parts.record(share.id, { n: 1, size: 1024, etag: '"b"' }, T0 + 1, { blobUpload: 'another-upload' })).toBe(false);
		// Two instances at once: exactly one takes it.
		const taken = await Promise.all([
			a.parts.beginCompleting(share.id, T0 + 2, T0 - 60_000),
			b.parts.beginCompleting(share.id, T0 + 2, T0 - 60_000)
		]);
		expect(taken.filter(Boolean)).toHaveLength(1);
		expect(await a.shares.get(share.id)).toMatchObject({ state: 'uploading', completingSince: T0 + 2, lastPartAt: T0 + 2 });
		expect(await b.parts.record(share.id, { n: 1, size: 1024, etag: '"b"' }, T0 + 3, on)).toBe(false);
		expect(await b.parts.record(share.id, { n: 1, size: 1024, etag: '"b"' }, T0 + 3)).toBe(false);
		expect(await a.parts.markReady(share.id, T0 + 3, T0 + 3600_000, T0 + 1)).toBe(false); // not that complete's
		// A stale hold is taken over; the old holder can then neither reopen nor finish.
		expect(await b.parts.beginCompleting(share.id, T0 + 10, T0 + 1)).toBe(false);
		expect(await b.parts.beginCompleting(share.id, T0 + 10, T0 + 2)).toBe(true);
		expect(await a.parts.reopenUpload(share.id, T0 + 2, T0 + 11, { dropParts: 'all' })).toBe(false);
		expect(await a.parts.reopenUpload(share.id, T0 + 10, T0 + 11, { dropParts: [0], blobUpload: 'new-upload' })).toBe(true);
		expect(await a.shares.get(share.id)).toMatchObject({ completingSince: null, blobUpload: 'new-upload', lastPartAt: T0 + 11 });
		expect(await a.parts.list(share.id)).toEqual([]);
		expect(await a.parts.record(share.id, { n: 0, size: 1024, etag: '"c"' }, T0 + 12, on)).toBe(false); // the old upload
		expect(await a.parts.record(share.id, { n: 0, size: 1024, etag: '"c"' }, T0 + 12, { blobUpload: 'new-upload' })).toBe(true);
		expect(await a.parts.beginCompleting(share.id, T0 + 13, T0)).toBe(true);
		expect(await b.parts.markReady(share.id, T0 + 14, T0 + 3600_000, T0 + 13)).toBe(true);
		expect(await a.shares.get(share.id)).toMatchObject({ state: 'ready', completingSince: null });
		expect(await a.parts.beginCompleting(share.id, T0 + 15, T0 + 15)).toBe(false);
	});

	it('records an upload handle made after the row, and tells which blobs a row still holds', async () => {
		const share = newShare({ blobUpload: null });
		await a.shares.insert(share);
		expect(await a.shares.setBlobUpload(share.id, 'u1')).toBe(true);
		expect(await b.shares.setBlobUpload(share.id, 'u2')).toBe(false);
		const gone = await ready();
		// Ended far ahead, so the purge counts of other tests here never see it.
		await a.shares.markDeleted(gone.id, T0 + 1000 * DAY_MS);
		await a.sweeping.markBlobGone(gone.id);
		const unknown = newShareId();
		expect(await b.sweeping.liveBlobs([share.id, gone.id, unknown])).toEqual(new Map([[share.id, 'u1']]));
		expect(await b.sweeping.liveBlobs([])).toEqual(new Map());
	});

	it('counts claims exactly: 40 at once across two instances on a limit-7 share give 7', async () => {
		const share = await ready({ maxDownloads: 7 });
		const results = await Promise.all(
			Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).tickets.claim(share.id, T0 + 1, ticket(T0 + 60_000)))
		);
		const counted = results.filter((result) => result !== undefined);
		expect(counted).toHaveLength(7);
		expect(counted.map((result) => result?.downloads).sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual([1, 2, 3, 4, 5, 6, 7]);
		expect(counted.every((result) => result?.maxDownloads === 7)).toBe(true);
		expect(await a.shares.get(share.id)).toMatchObject({ downloads: 7, lastClaimAt: T0 + 1 });
	});

	it('claims only a ready, unexpired share, and finds its ticket', async () => {
		const uploading = newShare();
		await a.shares.insert(uploading);
		expect(await a.tickets.claim(uploading.id, T0, ticket(T0 + 1000))).toBeUndefined();

		const share = await ready({ expiresIn: 60 });
		const t = ticket(T0 + 30_000);
		expect(await a.tickets.claim(share.id, T0 + 1000, t)).toEqual({ downloads: 1, maxDownloads: 5 });
		expect(await b.tickets.find(t.hash)).toEqual({ shareId: share.id, expiresAt: T0 + 30_000 });
		expect(await b.tickets.find(randomBytes(32))).toBeUndefined();
		expect(await b.tickets.claim(share.id, T0 + 60_000, ticket(T0 + 90_000))).toBeUndefined(); // expired
	});

	it('deletes once: wipes secrets and tickets, keeps a tombstone', async () => {
		const share = await ready();
		const t = ticket(T0 + 30_000);
		await a.tickets.claim(share.id, T0 + 1, t);
		const [first, second] = await Promise.all([a.shares.markDeleted(share.id, T0 + 2), b.shares.markDeleted(share.id, T0 + 2)]);
		expect([first, second].filter(Boolean)).toHaveLength(1);
		expect(await a.shares.get(share.id)).toMatchObject({
			state: 'deleted',
			endedAt: T0 + 2,
			header: null,
			metadata: null,
			readTokenHash: null,
			ownerTokenHash: null
		});
		expect(await a.tickets.find(t.hash)).toBeUndefined();
	});

	it("keeps a v2 password share's key share exactly, and wipes it with the other secrets however the share ends", async () => {
		const password = () => ({ keyShare: randomBytes(32), keyCommitment: randomBytes(32), unlockTokenHash: randomBytes(32) });
		const held = password();
		const deleted = await ready({ password: held });
		const stored = await b.shares.get(deleted.id);
		for (const key of ['keyShare', 'keyCommitment', 'unlockTokenHash'] as const) {
			expect(Buffer.from(stored?.password?.[key] as Uint8Array).equals(held[key]), key).toBe(true);
		}
		await a.shares.markDeleted(deleted.id, T0 + 2);
		const expired = await ready({ password: password(), expiresIn: 60 });
		while ((await a.sweeping.expireDue(T0 + 60_000, 100)).length > 0);
		const exhausted = await ready({ password: password(), maxDownloads: 1, expiresIn: 86400 });
		await a.tickets.claim(exhausted.id, T0 + 1, ticket(T0 + 10));
		await a.sweeping.exhaustDrained(T0 + 10, 100);
		const abandoned = newShare({ password: password(), createdAt: T0 });
		await a.shares.insert(abandoned);
		await a.sweeping.abandonIdle(T0 + 1000, T0 + 9000, 100);
		for (const share of [deleted, expired, exhausted, abandoned]) {
			const tombstone = await b.shares.get(share.id);
			expect(tombstone?.state, share.id).not.toMatch(/ready|uploading/);
			expect(tombstone?.password, tombstone?.state).toBeNull();
		}
	});

	it('changes expiry and limit of a ready share, never below the downloads counted', async () => {
		const share = await ready({ maxDownloads: 5, expiresIn: 3600 });
		await a.tickets.claim(share.id, T0 + 1, ticket(T0 + 1000));
		await a.tickets.claim(share.id, T0 + 1, ticket(T0 + 1000));
		expect(await b.shares.update(share.id, T0 + 2, { expiresAt: T0 + 7200_000 })).toMatchObject({
			expiresAt: T0 + 7200_000,
			maxDownloads: 5
		});
		expect(await b.shares.update(share.id, T0 + 3, { maxDownloads: 2 })).toMatchObject({ maxDownloads: 2, downloads: 2 });
		expect(await a.shares.update(share.id, T0 + 4, { maxDownloads: 1 })).toBeUndefined();
		expect(await a.shares.update(share.id, T0 + 7200_000, { maxDownloads: 10 })).toBeUndefined(); // expired meanwhile
		const uploading = newShare();
		await a.shares.insert(uploading);
		expect(await a.shares.update(uploading.id, T0, { maxDownloads: 10 })).toBeUndefined();
	});

	it('expires each due share exactly once when two sweepers race', async () => {
		const due = await Promise.all(Array.from({ length: 30 }, () => ready({ expiresIn: 60 })));
		const notDue = await ready({ expiresIn: 86400 });
		const now = T0 + 60_000;
		const seen: string[] = [];
		// Small batches, both instances at once, until neither finds anything.
		for (;;) {
			const [x, y] = await Promise.all([a.sweeping.expireDue(now, 4), b.sweeping.expireDue(now, 4)]);
			seen.push(...x, ...y);
			if (x.length === 0 && y.length === 0) break;
		}
		const ids = new Set(due.map((share) => share.id));
		expect(seen.filter((id) => ids.has(id)).sort()).toEqual([...ids].sort());
		expect(seen).not.toContain(notDue.id);
		expect(await a.shares.get(due[0]?.id ?? '')).toMatchObject({ state: 'expired', endedAt: now, metadata: null });
		expect((await a.shares.get(notDue.id))?.state).toBe('ready');
	});

	it('exhausts a share once its downloads are spent and its tickets are over', async () => {
		const share = await ready({ maxDownloads: 1, expiresIn: 86400 });
		await a.tickets.claim(share.id, T0 + 1, ticket(T0 + 10_000));
		expect(await a.sweeping.exhaustDrained(T0 + 9_999, 100)).not.toContain(share.id); // a download may still run
		const [x, y] = await Promise.all([a.sweeping.exhaustDrained(T0 + 10_000, 100), b.sweeping.exhaustDrained(T0 + 10_000, 100)]);
		expect([...x, ...y].filter((id) => id === share.id)).toHaveLength(1);
		expect((await a.shares.get(share.id))?.state).toBe('exhausted');
	});

	it('abandons idle uploads exactly once', async () => {
		const idle = newShare({ createdAt: T0 });
		const busy = newShare({ createdAt: T0 });
		await a.shares.insert(idle);
		await a.shares.insert(busy);
		await a.parts.record(busy.id, { n: 0, size: 1024, etag: null }, T0 + 5000);
		const [x, y] = await Promise.all([
			a.sweeping.abandonIdle(T0 + 1000, T0 + 9000, 100),
			b.sweeping.abandonIdle(T0 + 1000, T0 + 9000, 100)
		]);
		const all = [...x, ...y];
		expect(all.filter((id) => id === idle.id)).toHaveLength(1);
		expect(all).not.toContain(busy.id);
		expect(await a.shares.get(idle.id)).toMatchObject({ state: 'abandoned', endedAt: T0 + 9000, blobUpload: idle.blobUpload });
	});

	it('lists blobs to delete, forgets them, and purges old tombstones', async () => {
		const share = newShare();
		await a.shares.insert(share);
		await a.parts.record(share.id, { n: 0, size: 1024, etag: '"x"' }, T0 + 1);
		await a.shares.markDeleted(share.id, T0 + 2);
		expect(await b.sweeping.listBlobsToDelete(10_000)).toContainEqual({ id: share.id, blobUpload: share.blobUpload });
		await Promise.all([a.sweeping.markBlobGone(share.id), b.sweeping.markBlobGone(share.id)]); // idempotent
		expect(await b.sweeping.listBlobsToDelete(10_000)).not.toContainEqual(expect.objectContaining({ id: share.id }));
		expect(await a.shares.get(share.id)).toMatchObject({ blobGone: true, blobUpload: null });
		expect(await a.parts.list(share.id)).toEqual([]);

		expect(await a.sweeping.purgeTombstones(T0 + 1)).toBe(0);
		expect(await a.sweeping.purgeTombstones(T0 + 2)).toBeGreaterThanOrEqual(1);
		expect(await a.shares.get(share.id)).toBeUndefined();
	});

	it('deletes expired tickets only', async () => {
		const share = await ready({ maxDownloads: 5, expiresIn: 86400 });
		const old = ticket(T0 + 1000);
		const current = ticket(T0 + 5000);
		await a.tickets.claim(share.id, T0 + 1, old);
		await a.tickets.claim(share.id, T0 + 1, current);
		expect(await b.sweeping.deleteExpiredTickets(T0 + 1000)).toBeGreaterThanOrEqual(1);
		expect(await a.tickets.find(old.hash)).toBeUndefined();
		expect(await a.tickets.find(current.hash)).toBeDefined();
	});
});
