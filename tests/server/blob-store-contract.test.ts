import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../server/config/stores';
import { FsBlobStore } from '../../server/stores/blob/fs';
import { S3_KEY_PREFIX, S3BlobStore } from '../../server/stores/blob/s3';
import { PartLengthError, PartsMismatchError, UploadClosedError, type BlobStore, type BlobUpload } from '../../server/stores/blob/types';
import { newShareId } from '../../server/shares/tokens';
import { startS3rver, type TestS3 } from '../support/s3rver';
import { chunked, hangsUpAfterFirstPiece, readAll, tempDir } from './helpers';
import { withServices } from '../support/tier';

/** One backend under test: how to open it, and what it can tell us from the outside. */
interface Backend {
	store: BlobStore;
	/** Total bytes of the completed object as the backend itself reports it (not through the store). */
	storedSize(id: string): Promise<number | undefined>;
	/** s3rver accepts parts for completed or unknown uploads; AWS S3 answers NoSuchUpload. */
	refusesPartsAfterClose: boolean;
	/** Reads parts of an unfinished upload (not an S3 multipart upload). */
	streams: boolean;
	/** Checks the listed etags on complete (s3rver's multipart complete does not; AWS S3 does). */
	checksCompleteEtags: boolean;
	close(): Promise<void>;
}

async function fsBackend(): Promise<Backend> {
	const dir = await tempDir();
	const store = await FsBlobStore.open(dir);
	return {
		store,
		storedSize: (id) => store.size(id),
		refusesPartsAfterClose: true,
		streams: true,
		checksCompleteEtags: true,
		close: () => rm(dir, { recursive: true, force: true })
	};
}

/** S3 in its default layout (one object per part), or as one multipart object (direct mode, older shares). */
async function s3Backend(multipart = false): Promise<Backend> {
	const s3: TestS3 = await startS3rver();
	const credentials = { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
	const store = await S3BlobStore.open({
		endpoint: s3.endpoint,
		region: 'us-east-1',
		bucket: s3.bucket,
		forcePathStyle: true,
		credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: new Secret(s3.secretAccessKey) },
		multipart
	});
	// A second, independent client: the bucket as anyone else sees it.
	const raw = new S3Client({
		endpoint: s3.endpoint,
		region: 'us-east-1',
		forcePathStyle: true,
		credentials,
		requestChecksumCalculation: 'WHEN_REQUIRED',
		responseChecksumValidation: 'WHEN_REQUIRED'
	});
	return {
		store,
		async storedSize(id) {
			try {
				const head = await raw.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: S3_KEY_PREFIX + id }));
				// The parts layout's seal object records the blob's size (its body names the part objects).
				return head.Metadata?.['sealdrop-layout'] === 'parts' ? Number(head.Metadata['sealdrop-size']) : head.ContentLength;
			} catch (error) {
				if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
				throw error;
			}
		},
		// The parts layout checks for the seal after storing a part.
		refusesPartsAfterClose: !multipart,
		streams: !multipart,
		checksCompleteEtags: !multipart,
		async close() {
			store.close();
			raw.destroy();
			await s3.close();
		}
	};
}

/** A blob cut into parts as the API cuts shares. */
function layout(size: number, partSize: number) {
	const bytes = randomBytes(size);
	const parts = Array.from({ length: Math.ceil(size / partSize) }, (_, n) =>
		bytes.subarray(n * partSize, Math.min(size, (n + 1) * partSize))
	);
	return { bytes, parts, partSize };
}

/** S3 as one multipart object per share: direct mode, and shares stored before part objects. */
const S3_MULTIPART = withServices({ name: 's3 multipart (s3rver)', open: () => s3Backend(true) });

describe.each([{ name: 'fs', open: fsBackend }, ...withServices({ name: 's3 (s3rver)', open: s3Backend }), ...S3_MULTIPART])(
	'BlobStore contract: $name',
	({ open }) => {
		let backend: Backend;
		let store: BlobStore;
		beforeAll(async () => {
			backend = await open();
			store = backend.store;
		});
		afterAll(async () => {
			await backend?.close();
		});

		/** Begins an upload and stores the given parts (all, in parallel, by default). */
		async function upload(
			parts: Uint8Array[],
			which = parts.map((_, n) => n)
		): Promise<{ blob: BlobUpload; recorded: { n: number; size: number; etag: string | null }[] }> {
			const id = newShareId();
			const blob = { id, upload: await store.begin(id) };
			const recorded = await Promise.all(
				which.map(async (n) => {
					const part = parts[n] as Uint8Array;
					const stored = await store.putPart(blob, n, chunked(part, 4096), part.length);
					expect(stored.size).toBe(part.length);
					return { n, size: stored.size, etag: stored.etag ?? null };
				})
			);
			return { blob, recorded: recorded.sort((a, b) => a.n - b.n) };
		}

		it('answers ping', async () => {
			await expect(store.ping?.()).resolves.toBeUndefined();
		});

		it('stores parts in any order, completes idempotently, and reads any range', async () => {
			const { bytes, parts, partSize } = layout(3 * 40_000 + 12_345, 40_000);
			const id = newShareId();
			const blob = { id, upload: await store.begin(id) };
			const recorded: { n: number; size: number; etag: string | null }[] = [];
			// Last first, then the others, one of them twice (a retried part replaces the first copy).
			for (const n of [3, 1, 0, 2, 1]) {
				const part = parts[n] as Uint8Array;
				const stored = await store.putPart(blob, n, chunked(part, 1000), part.length);
				recorded[n] = { n, size: stored.size, etag: stored.etag ?? null };
			}
			expect(await backend.storedSize(id)).toBeUndefined(); // not visible before complete
			await store.complete(blob, recorded);
			await store.complete(blob, recorded); // a retry, or a second instance
			expect(await backend.storedSize(id)).toBe(bytes.length);
			expect(await store.size?.(id)).toBe(bytes.length);

			const where = { id, size: bytes.length, partSize };
			for (const [start, end] of [
				[0, bytes.length],
				[0, 1],
				[partSize - 1, partSize + 1],
				[partSize, 2 * partSize],
				[1234, bytes.length - 1],
				[bytes.length - 1, bytes.length]
			] as const) {
				expect((await readAll(await store.read(where, start, end))).equals(bytes.subarray(start, end)), `${start}-${end}`).toBe(true);
			}
			await expect(store.read(where, 0, bytes.length + 1)).rejects.toThrow(RangeError);
			await expect(store.read(where, 5, 5)).rejects.toThrow(RangeError);
			await store.delete(blob);
		});

		it('handles a single short part and parts uploaded in parallel', async () => {
			const one = layout(10, 1024);
			const a = await upload(one.parts);
			await store.complete(a.blob, a.recorded);
			expect((await readAll(await store.read({ id: a.blob.id, size: 10, partSize: 1024 }, 0, 10))).equals(one.bytes)).toBe(true);

			const many = layout(8 * 8192 + 5, 8192);
			const b = await upload(many.parts);
			await store.complete(b.blob, b.recorded);
			expect(
				(await readAll(await store.read({ id: b.blob.id, size: many.bytes.length, partSize: 8192 }, 0, many.bytes.length))).equals(
					many.bytes
				)
			).toBe(true);
			await Promise.all([store.delete(a.blob), store.delete(b.blob)]);
		});

		it('refuses a part of the wrong length and keeps nothing of it', async () => {
			const { bytes, parts } = layout(2000, 1000);
			const id = newShareId();
			const blob = { id, upload: await store.begin(id) };
			const long = store.putPart(blob, 0, chunked(randomBytes(1001), 100), 1000);
			await expect(long).rejects.toBeInstanceOf(PartLengthError);
			await expect(long).rejects.toMatchObject({ kind: 'long' });
			await expect(store.putPart(blob, 0, chunked(randomBytes(999), 100), 1000)).rejects.toMatchObject({ kind: 'short' });
			// The same part sent again, whole, is what the blob holds.
			const recorded = [];
			for (const n of [0, 1]) {
				const part = parts[n] as Uint8Array;
				const stored = await store.putPart(blob, n, chunked(part, 100), part.length);
				recorded.push({ n, size: stored.size, etag: stored.etag ?? null });
			}
			await store.complete(blob, recorded);
			expect((await readAll(await store.read({ id, size: 2000, partSize: 1000 }, 0, 2000))).equals(bytes)).toBe(true);
			await store.delete(blob);
		});

		it('stops at the signal with its reason', async () => {
			const id = newShareId();
			const blob = { id, upload: await store.begin(id) };
			const controller = new AbortController();
			await expect(store.putPart(blob, 0, hangsUpAfterFirstPiece(controller), 100, controller.signal)).rejects.toThrow('client gone');
			await store.delete(blob);
		});

		it('rejects a read of a missing blob before any byte', async () => {
			await expect(store.read({ id: newShareId(), size: 10, partSize: 10 }, 0, 10)).rejects.toThrow();
			expect(await store.size?.(newShareId())).toBeUndefined();
		});

		it('lets a reader stop early without holding anything (many times over)', async () => {
			const { bytes, parts, partSize } = layout(4 * 65_536, 65_536);
			const { blob, recorded } = await upload(parts);
			await store.complete(blob, recorded);
			const where = { id: blob.id, size: bytes.length, partSize };
			for (let i = 0; i < 20; i++) {
				const reader = (await store.read(where, 0, bytes.length)).getReader();
				const first = await reader.read();
				expect(first.done).toBe(false);
				await reader.cancel();
			}
			expect((await readAll(await store.read(where, 100, bytes.length))).equals(bytes.subarray(100))).toBe(true);
			await store.delete(blob);
		});

		it('holds nothing for a stream that is never read (a HEAD request drops it)', async () => {
			const { bytes, parts, partSize } = layout(2 * 65_536, 65_536);
			const { blob, recorded } = await upload(parts);
			await store.complete(blob, recorded);
			const where = { id: blob.id, size: bytes.length, partSize };
			// More than the S3 client's socket pool: had each dropped stream kept a GET open, the
			// read below would wait for a free socket until the test timed out.
			for (let batch = 0; batch < 11; batch++) await Promise.all(Array.from({ length: 50 }, () => store.read(where, 0, bytes.length)));
			expect((await readAll(await store.read(where, 0, bytes.length))).equals(bytes)).toBe(true);
			await store.delete(blob);
		});

		it('deletes a completed blob, idempotently', async () => {
			const { parts } = layout(3000, 1000);
			const { blob, recorded } = await upload(parts);
			await store.complete(blob, recorded);
			await store.delete(blob);
			await store.delete(blob);
			expect(await backend.storedSize(blob.id)).toBeUndefined();
			await expect(store.read({ id: blob.id, size: 3000, partSize: 1000 }, 0, 3000)).rejects.toThrow();
		});

		it('cleans up an abandoned upload, idempotently (and an unknown one)', async () => {
			const { parts } = layout(3000, 1000);
			const { blob } = await upload(parts, [0, 2]);
			await store.delete(blob);
			await store.delete(blob);
			expect(await backend.storedSize(blob.id)).toBeUndefined();
			const id = newShareId();
			await store.delete({ id, upload: blob.upload === null ? null : 'no-such-upload' });
		});

		it('refuses parts once the upload is completed (where the backend can tell)', async ({ skip }) => {
			if (!backend.refusesPartsAfterClose) skip('s3rver accepts parts for any upload id; the MetaStore check (parts.record) guards this');
			const { parts } = layout(10, 10);
			const { blob, recorded } = await upload(parts);
			await store.complete(blob, recorded);
			await expect(store.putPart(blob, 0, chunked(randomBytes(10), 10), 10)).rejects.toBeInstanceOf(UploadClosedError);
			await store.delete(blob);
		});

		it('reads stored parts of an unfinished upload, the recorded copy, and after a seal (where the backend streams)', async ({ skip }) => {
			if (!backend.streams) skip('an unfinished multipart upload cannot be read');
			const readPart = store.readUploadingPart!.bind(store);
			const { bytes, parts, partSize } = layout(2 * 5000 + 123, 5000);
			const { blob, recorded } = await upload(parts, [0, 2]);
			const [first, last] = recorded as [(typeof recorded)[0], (typeof recorded)[0]];
			expect((await readAll(await readPart(blob.id, 0, first.etag, 0, 5000))).equals(bytes.subarray(0, 5000))).toBe(true);
			expect((await readAll(await readPart(blob.id, 2, last.etag, 100, 123))).equals(bytes.subarray(10_100, 10_123))).toBe(true);
			// Part 1 is not stored yet: refused before any byte.
			await expect(readPart(blob.id, 1, first.etag, 0, 10)).rejects.toThrow();

			// Part 0 sent again with other bytes: the copy recorded first still reads as it was until
			// the seal, which names the new copy.
			const other = randomBytes(5000);
			const again = await store.putPart(blob, 0, chunked(other, 1000), 5000);
			expect((await readAll(await readPart(blob.id, 0, first.etag, 0, 5000))).equals(bytes.subarray(0, 5000))).toBe(true);
			expect((await readAll(await readPart(blob.id, 0, again.etag ?? null, 0, 5000))).equals(other)).toBe(true);
			const stored1 = await store.putPart(blob, 1, chunked(parts[1] as Uint8Array, 1000), 5000);
			const sealed = [{ n: 0, size: 5000, etag: again.etag ?? null }, { n: 1, size: 5000, etag: stored1.etag ?? null }, last];
			await store.complete(blob, sealed);
			const whole = Buffer.concat([other, bytes.subarray(5000)]);
			expect((await readAll(await store.read({ id: blob.id, size: whole.length, partSize }, 0, whole.length))).equals(whole)).toBe(true);
			// A reader holding the replaced copy's etag gets the sealed bytes.
			expect((await readAll(await readPart(blob.id, 0, first.etag, 10, 20))).equals(other.subarray(10, 20))).toBe(true);
			expect((await readAll(await readPart(blob.id, 1, stored1.etag ?? null, 0, 5000))).equals(bytes.subarray(5000, 10_000))).toBe(true);
			await store.delete(blob);
			await expect(readPart(blob.id, 1, stored1.etag ?? null, 0, 10)).rejects.toThrow();
		});

		it('refuses a complete whose listed copy of a part is not stored (replaced or lost)', async ({ skip }) => {
			if (!backend.checksCompleteEtags) skip("s3rver's multipart complete does not check ETags");
			const { parts } = layout(3000, 1000);
			const { blob, recorded } = await upload(parts);
			// Part 1 listed with another copy than the one stored.
			const other = await upload(layout(3000, 1000).parts);
			const wrong = recorded.map((part) => (part.n === 1 ? { ...part, etag: other.recorded[1]?.etag ?? null } : part));
			await expect(store.complete(blob, wrong)).rejects.toBeInstanceOf(PartsMismatchError);
			expect(await backend.storedSize(blob.id)).toBeUndefined();
			await store.complete(blob, recorded);
			expect(await backend.storedSize(blob.id)).toBe(3000);
			await Promise.all([store.delete(blob), store.delete(other.blob)]);
		});

		it('refuses ids that are not share ids', async () => {
			await expect(store.begin('../../etc')).rejects.toThrow('invalid blob id');
			await expect(store.delete({ id: '..', upload: null })).rejects.toThrow('invalid blob id');
		});
	}
);

describe.each(withServices('s3'))('S3: shares stored as one multipart object, after the switch to part objects', () => {
	let s3: TestS3;
	let multipart: S3BlobStore;
	let parts: S3BlobStore;
	beforeAll(async () => {
		s3 = await startS3rver();
		const options = {
			endpoint: s3.endpoint,
			region: 'us-east-1',
			bucket: s3.bucket,
			forcePathStyle: true,
			credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: new Secret(s3.secretAccessKey) }
		};
		// The same bucket before (or with SEALDROP_S3_DIRECT) and after the upgrade.
		[multipart, parts] = await Promise.all([S3BlobStore.open({ ...options, multipart: true }), S3BlobStore.open(options)]);
	});
	afterAll(async () => {
		multipart?.close();
		parts?.close();
		await s3?.close();
	});

	it('still read, size, collect and delete; each layout refuses what it cannot do', async () => {
		const { bytes, parts: pieces, partSize } = layout(2 * 4096 + 7, 4096);
		const id = newShareId();
		const blob = { id, upload: await multipart.begin(id) };
		const recorded = [];
		for (const [n, piece] of pieces.entries()) {
			const stored = await multipart.putPart(blob, n, chunked(piece, 1000), piece.length);
			recorded.push({ n, size: piece.length, etag: stored.etag ?? null });
		}
		await multipart.complete(blob, recorded);

		const where = { id, size: bytes.length, partSize };
		// Had it been read before complete: an unfinished multipart upload cannot be (the share is not streamed).
		expect(parts.readsUpload(blob.upload)).toBe(false);
		expect(await parts.size(id)).toBe(bytes.length);
		expect((await readAll(await parts.read(where, 0, bytes.length))).equals(bytes)).toBe(true);
		expect((await readAll(await parts.read(where, 4000, 4200))).equals(bytes.subarray(4000, 4200))).toBe(true);
		// Its row holds it: orphan collection keeps it.
		expect(await parts.collectOrphans(Date.now() + 60_000, (ids) => Promise.resolve(new Map(ids.map((i) => [i, blob.upload]))))).toBe(0);
		expect(await parts.size(id)).toBe(bytes.length);

		// A share stored as part objects has no object a presigned URL could name, nor a multipart upload.
		const other = newShareId();
		const partsBlob = { id: other, upload: await parts.begin(other) };
		expect(partsBlob.upload).toMatch(/^parts:/);
		expect(parts.readsUpload(partsBlob.upload)).toBe(true);
		const stored = await parts.putPart(partsBlob, 0, chunked(randomBytes(10), 10), 10);
		await parts.complete(partsBlob, [{ n: 0, size: 10, etag: stored.etag ?? null }]);
		await expect(multipart.presignRead(other, 60, Date.now())).rejects.toThrow('stored as part objects');
		await expect(multipart.presignPart(partsBlob, 0, 10, 60, Date.now())).rejects.toThrow('stored as part objects');
		await expect(multipart.listParts(partsBlob)).rejects.toThrow('stored as part objects');
		// The multipart store reads it all the same (a server switched to direct mode).
		expect((await readAll(await multipart.read({ id: other, size: 10, partSize: 10 }, 0, 10))).length).toBe(10);

		await parts.delete(blob);
		expect(await parts.size(id)).toBeUndefined();
		await expect(parts.read(where, 0, 10)).rejects.toThrow();
		await parts.delete(partsBlob);
	});
});
