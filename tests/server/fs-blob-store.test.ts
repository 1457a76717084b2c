import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../server/stores/blob/fs';
import { PartLengthError, UploadClosedError } from '../../server/stores/blob/types';
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
			expect(stored).toEqual({ size: part.length, etag: expect.stringMatching(/^[\w-]{12}$/) });
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
});
