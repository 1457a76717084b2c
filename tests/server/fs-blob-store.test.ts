import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../server/stores/blob/fs';
import { PartLengthError, PartsMismatchError, UploadClosedError } from '../../server/stores/blob/types';
import { chunked, hangsUpAfterFirstPiece, listFiles, readAll, tempDir } from './helpers';

const ID = 'abcdefghijklmnopqrstuv';

describe('FsBlobStore', () => {
	let dir: string;
	let store: FsBlobStore;
	beforeEach(async () => {
		dir = await tempDir();
		store = await FsBlobStore.open(dir);
	});
	afterEach(async () => {
		await rm(dir, { recursive: true, force: true });
	});

	const blob = { id: ID, upload: null };

	it('stores parts as separate files and reads any range across them', async () => {
		const partSize = 1000;
		const bytes = randomBytes(3500);
		await store.begin(ID);
		const parts: { n: number; size: number; etag: string }[] = [];
		for (let n = 3; n >= 0; n--) {
			const part = bytes.subarray(n * partSize, (n + 1) * partSize);
			const stored = await store.putPart(blob, n, chunked(part, 7), part.length);
			// `<boot>.<random>`: the boot the part was written in, unflushed (see the boot tests below).
			expect(stored).toEqual({ size: part.length, etag: expect.stringMatching(/^[0-9a-f]{12}\.[\w-]{12}$/) });
			parts[n] = { n, size: stored.size, etag: stored.etag };
		}
		await store.complete(blob, parts);
		await store.complete(blob, parts); // idempotent
		expect(await listFiles(dir)).toEqual([`${ID}/0`, `${ID}/1`, `${ID}/2`, `${ID}/3`]);
		expect(await store.size(ID)).toBe(3500);

		const layout = { id: ID, size: 3500, partSize };
		for (const [start, end] of [
			[0, 3500],
			[0, 1],
			[999, 1001],
			[1000, 2000],
			[1500, 3499],
			[3499, 3500],
			[250, 3250]
		] as const) {
			expect((await readAll(await store.read(layout, start, end))).equals(bytes.subarray(start, end)), `${start}-${end}`).toBe(true);
		}
		await expect(store.read(layout, 0, 3501)).rejects.toThrow(RangeError);
		await expect(store.read(layout, 5, 5)).rejects.toThrow(RangeError);
	});

	it('keeps every copy of a part sent twice until complete, whichever copy ends up recorded', async () => {
		// Two uploads of one part (a retry after a lost answer, the first still in flight): their
		// records may land in either order, so the copy recorded last must still be there.
		const first = randomBytes(1000);
		const second = Buffer.from(first);
		await store.begin(ID);
		const a = await store.putPart(blob, 0, chunked(first, 3), 1000);
		const b = await store.putPart(blob, 0, chunked(second, 3), 1000);
		expect(a.etag).not.toBe(b.etag);
		await store.complete(blob, [{ n: 0, size: 1000, etag: a.etag }]);
		expect(await listFiles(dir)).toEqual([`${ID}/0`]);
		expect((await readAll(await store.read({ id: ID, size: 1000, partSize: 1000 }, 0, 1000))).equals(first)).toBe(true);
	});

	it('keeps nothing of a part with the wrong length', async () => {
		await store.begin(ID);
		await expect(store.putPart(blob, 0, chunked(randomBytes(101), 10), 100)).rejects.toMatchObject({ kind: 'long' });
		await expect(store.putPart(blob, 0, chunked(randomBytes(99), 10), 100)).rejects.toBeInstanceOf(PartLengthError);
		expect(await listFiles(dir)).toEqual([]);
	});

	it('stops at the signal', async () => {
		await store.begin(ID);
		const controller = new AbortController();
		await expect(store.putPart(blob, 0, hangsUpAfterFirstPiece(controller), 100, controller.signal)).rejects.toThrow('client gone');
		expect(await listFiles(dir)).toEqual([]);
	});

	it('refuses parts once the upload is completed or deleted', async () => {
		await store.begin(ID);
		const { etag } = await store.putPart(blob, 0, chunked(randomBytes(10), 10), 10);
		await store.complete(blob, [{ n: 0, size: 10, etag }]);
		await expect(store.putPart(blob, 0, chunked(randomBytes(10), 10), 10)).rejects.toBeInstanceOf(UploadClosedError);
		await store.delete(blob);
		await store.delete(blob); // idempotent
		expect(await listFiles(dir)).toEqual([]);
		expect(await store.size(ID)).toBeUndefined();
		await expect(store.read({ id: ID, size: 10, partSize: 10 }, 0, 10)).rejects.toMatchObject({ code: 'ENOENT' });
	});

	it('refuses ids that are not share ids (no path tricks)', async () => {
		await expect(store.begin('../../etc')).rejects.toThrow('invalid blob id');
		await expect(store.delete({ id: '..', upload: null })).rejects.toThrow('invalid blob id');
	});

	it('collects stale temp files only', async () => {
		const { writeFile, utimes } = await import('node:fs/promises');
		await writeFile(`${dir}/.tmp/old`, 'x');
		await writeFile(`${dir}/.tmp/new`, 'x');
		await utimes(`${dir}/.tmp/old`, new Date(1000), new Date(1000));
		await store.collectGarbage(Date.now() - 60_000);
		expect(await listFiles(dir)).toEqual(['.tmp/new']);
	});

	describe('parts acknowledged before they are flushed (SELF-HOSTING.md, "Durability")', () => {
		const BOOT_A = '1111aaaa-2222-bbbb-3333-cccc4444dddd';
		const BOOT_B = '5555eeee-6666-ffff-7777-000088889999';
		const put = async (s: FsBlobStore, n: number, bytes: Buffer) => ({
			n,
			...(await s.putPart(blob, n, chunked(bytes, 7), bytes.length))
		});

		it('asks again at complete for a part written before the machine restarted, and seals it once sent again', async () => {
			const bytes = randomBytes(2000);
			const before = await FsBlobStore.open(dir, { bootId: BOOT_A });
			await before.begin(ID);
			const early = await put(before, 0, bytes.subarray(0, 1000));
			// The machine restarts: a part that was never flushed may have lost its bytes, even with
			// its file and its record still there.
			const after = await FsBlobStore.open(dir, { bootId: BOOT_B });
			const late = await put(after, 1, bytes.subarray(1000));
			const refused = await after.complete(blob, [early, late]).catch((error: unknown) => error);
			expect(refused).toBeInstanceOf(PartsMismatchError);
			expect(refused).toMatchObject({ parts: [0], lost: false });
			// Given back, not sealed: the parts can be sent again.
			expect((await listFiles(dir)).every((name) => name.startsWith(`${ID}.upload/`))).toBe(true);

			const again = await put(after, 0, bytes.subarray(0, 1000));
			await after.complete(blob, [again, late]);
			expect(await listFiles(dir)).toEqual([`${ID}/0`, `${ID}/1`]);
			expect((await readAll(await after.read({ id: ID, size: 2000, partSize: 1000 }, 0, 2000))).equals(bytes)).toBe(true);
		});

		it('trusts parts flushed before their ack: etags without a boot (older servers, and where there is no boot id)', async () => {
			const bytes = randomBytes(2000);
			const flushing = await FsBlobStore.open(dir, { bootId: null });
			await flushing.begin(ID);
			const first = await put(flushing, 0, bytes.subarray(0, 1000));
			expect(first.etag).toMatch(/^[\w-]{12}$/);
			const later = await FsBlobStore.open(dir, { bootId: BOOT_B });
			const second = await put(later, 1, bytes.subarray(1000));
			await later.complete(blob, [first, second]);
			expect((await readAll(await later.read({ id: ID, size: 2000, partSize: 1000 }, 0, 2000))).equals(bytes)).toBe(true);
		});

		it('finds at complete a part file that lost bytes after its ack', async () => {
			const { truncate } = await import('node:fs/promises');
			await store.begin(ID);
			const parts = [await put(store, 0, randomBytes(1000)), await put(store, 1, randomBytes(1000))];
			await truncate(`${dir}/${ID}.upload/1.${parts[1]!.etag}`, 600);
			await expect(store.complete(blob, parts)).rejects.toMatchObject({ parts: [1], lost: false });
		});
	});
});
