/** Encrypting a Blob (all files concatenated) record by record, e.g. for a part of a resumable upload. */
import type { Bytes } from './bytes';
import { CryptoError } from './errors';
import type { RecordLayout } from './layout';
import { sealRecord } from './record';

/**
 * The Blob is read in batches of about this many bytes, the next batch while the current one is
 * sealed. Each Blob read costs a fixed ~0.8 ms in Chromium (64 KiB slices read at ~60 MiB/s),
 * so one read per 64 KiB record would be far slower than the AES. Measured in headless Chromium
 * on a 2-core machine, 64 KiB records: 4 MiB batches ~160-210 MiB/s, 8 MiB ~180-230 MiB/s,
 * 16 MiB ~200-260 MiB/s, AES alone ~500 MiB/s. 8 MiB keeps memory modest.
 */
const READ_BYTES = 8 << 20;
/** Sealed records in flight, in bytes: enough to keep WebCrypto busy, still bounded. */
const AHEAD_BYTES = 2 << 20;

/**
 * Where the plaintext comes from, when not a Blob: the browser slices Blobs, but in Node a
 * file-backed Blob copies each slice into a fresh ArrayBuffer (and fs.openAsBlob's size is wrong
 * from 4 GiB on). A source may hand out buffers from a pool of its own: each batch is given back
 * with `release` once every record read from it is sealed, and never touched again here.
 */
export interface ByteSource {
	readonly size: number;
	/** Bytes [offset, offset + length); fewer only if the source shrank meanwhile. */
	read(offset: number, length: number): Promise<Uint8Array>;
	/** A batch this encryptor is done with (optional: Blob-like sources just drop it). */
	release?(bytes: Uint8Array): void;
	/** Preferred batch size in bytes (default READ_BYTES, tuned for Chromium's Blob reads). */
	readonly readBytes?: number;
	/** Sealed records in flight, in bytes (default AHEAD_BYTES). */
	readonly aheadBytes?: number;
}

/** A Blob as a ByteSource: each batch is a fresh slice. */
export function blobSource(blob: Blob): ByteSource {
	return { size: blob.size, read: async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()) };
}

/**
 * Yields the ciphertext of records [first, first + count), in order. Records are deterministic,
 * so any sub-range equals the same slice of a whole-stream encryption. Memory stays bounded: at
 * most three read batches (previous, current, next) plus `ahead` sealed records, ~26 MiB at R = 64 KiB.
 */
export async function* encryptBlobRecords(
	key: CryptoKey,
	input: Blob | ByteSource,
	layout: RecordLayout,
	first: number,
	count: number
): AsyncGenerator<Bytes> {
	// Told apart by shape, not instanceof: a Blob from another realm (a worker, a test DOM) is still one.
	const source = 'slice' in input ? blobSource(input) : input;
	if (source.size !== layout.plainSize) {
		throw new CryptoError('BAD_SIZE', `source has ${source.size} bytes, layout expects ${layout.plainSize}`);
	}
	const valid = Number.isSafeInteger(first) && Number.isSafeInteger(count) && first >= 0 && count >= 0;
	if (!valid || first + count > layout.records) {
		throw new RangeError(`records [${first}, ${first + count}) outside 0..${layout.records}`);
	}
	const R = layout.recordSize;
	const end = first + count;
	const perBatch = Math.max(1, Math.floor((source.readBytes ?? READ_BYTES) / R));
	const ahead = Math.max(2, Math.min(32, Math.floor((source.aheadBytes ?? AHEAD_BYTES) / R)));

	// Batch b holds records [first + b·perBatch, …), read in one call.
	const reads = new Map<number, Promise<Uint8Array>>();
	/** Records of each batch not sealed yet: at 0 the batch goes back to the source. */
	const unsealed = new Map<number, number>();
	const batchStart = (batch: number): number => Math.min(first + batch * perBatch, end);
	const read = (batch: number): Promise<Uint8Array> | undefined => {
		if (batchStart(batch) >= end) return undefined;
		let bytes = reads.get(batch);
		if (!bytes) {
			const from = batchStart(batch) * R;
			bytes = source.read(from, Math.min(batchStart(batch + 1) * R, layout.plainSize) - from);
			bytes.catch(() => {}); // a prefetch nobody awaits must not be an unhandled rejection
			reads.set(batch, bytes);
			unsealed.set(batch, batchStart(batch + 1) - batchStart(batch));
		}
		return bytes;
	};
	/** Gives a batch back only once every record of it is sealed (or failed): its bytes are never read again. */
	const settled = (batch: number, bytes: Uint8Array | undefined): void => {
		const left = unsealed.get(batch)! - 1;
		unsealed.set(batch, left);
		if (left === 0) {
			unsealed.delete(batch);
			if (bytes) source.release?.(bytes);
		}
	};

	const sealOne = async (index: number): Promise<Bytes> => {
		const batch = Math.floor((index - first) / perBatch);
		const pendingBytes = read(batch) as Promise<Uint8Array>;
		void read(batch + 1); // prefetch, so reading overlaps sealing (read() keeps its rejection handled)
		// Scheduled records keep their batch alive; the map only serves records not yet scheduled.
		if (index === batchStart(batch + 1) - 1) reads.delete(batch);
		let bytes: Uint8Array | undefined;
		try {
			bytes = await pendingBytes;
			const at = (index - batchStart(batch)) * R;
			const length = Math.min(R, layout.plainSize - index * R);
			if (bytes.byteLength < at + length) throw new CryptoError('BAD_SIZE', 'the file changed while it was read');
			return await sealRecord(key, index, index === layout.records - 1, bytes.subarray(at, at + length));
		} finally {
			settled(batch, bytes);
		}
	};

	const pending: Promise<Bytes>[] = [];
	let next = first;
	const refill = (): void => {
		while (next < end && pending.length < ahead) {
			const task = sealOne(next++);
			task.catch(() => {}); // rejections surface when awaited in order; not "unhandled" if we stop early
			pending.push(task);
		}
	};

	refill();
	for (let task = pending.shift(); task; task = pending.shift()) {
		refill();
		yield await task;
	}
}
