import { makeZip, predictLength } from 'client-zip';
import { zipPaths, type FileEntry } from '../crypto';
import type { DownloadSession } from '../transfer/download';
import type { Progress, ProgressListener } from '../transfer/progress';
import type { SaveSink } from './sinks';

/**
 * "Download all as ZIP": the share's files decrypted one after another straight into a streamed
 * ZIP (client-zip writes ZIP64 where needed, so more than 4 GiB and more than 65 535 files work),
 * and the ZIP straight into a save sink. Nothing is held whole: at any moment memory holds a
 * decrypted batch or two. Files are stored uncompressed (they are mostly compressed already, and
 * storing keeps the ZIP's size exactly predictable, which the streamed save needs).
 */

/** Entry names: the share's relative paths, sanitised and made unique (FORMAT.md §8). */
export function zipNames(files: FileEntry[]): string[] {
	return zipPaths(files.map((f) => f.name));
}

/** ZIP's 16-bit entry count and 32-bit sizes and offsets; past them, ZIP64 records say it. */
const MAX_ENTRIES = 0xffff;
const MAX_32 = 0xffffffff;
const ZIP64_END_BYTES = 56 + 20; // ZIP64 end of central directory record + its locator
const END_BYTES = 22; // end of central directory record

/**
 * What client-zip writes for `files` (`raw` bytes), and whether saveZip must add the ZIP64 end
 * records to it: client-zip 2.5.1 writes them when an entry or the central directory's offset
 * reaches 4 GiB, but not for more than 65 535 entries, where the 16-bit count cannot say how
 * many there are (unzip then reports a broken ZIP).
 */
function zipLayout(files: FileEntry[]): { raw: number; addZip64: boolean } {
	const names = zipNames(files);
	const raw = Number(predictLength(files.map((f, i) => ({ name: names[i]!, size: f.size }))));
	if (files.length <= MAX_ENTRIES) return { raw, addZip64: false };
	// client-zip's own rule: per entry a 30-byte local header, the name, the data and a 16-byte
	// data descriptor; ZIP64 once one entry or the sum reaches MAX_32.
	const encoder = new TextEncoder();
	let offset = 0;
	for (const [i, f] of files.entries()) {
		if (f.size >= MAX_32) return { raw, addZip64: false };
		offset += 30 + encoder.encode(names[i]).length + f.size + 16;
	}
	return { raw, addZip64: offset < MAX_32 };
}

/** The exact size of the ZIP saveZip writes. */
export function zipSize(files: FileEntry[]): number {
	const { raw, addZip64 } = zipLayout(files);
	return raw + (addZip64 ? ZIP64_END_BYTES : 0);
}

/**
 * The ZIP64 end of central directory record and its locator (APPNOTE 4.3.14-15), to go just
 * before `end`, client-zip's end of central directory record, whose 32-bit fields still hold.
 */
function zip64End(entries: number, end: Uint8Array): Uint8Array {
	const eocd = new DataView(end.buffer, end.byteOffset, end.byteLength);
	if (end.byteLength !== END_BYTES || eocd.getUint32(0, true) !== 0x06054b50) {
		throw new Error('The ZIP did not end with its end of central directory record.');
	}
	const directorySize = eocd.getUint32(12, true);
	const directoryOffset = eocd.getUint32(16, true);
	const out = new DataView(new ArrayBuffer(ZIP64_END_BYTES));
	out.setUint32(0, 0x06064b50, true);
	out.setBigUint64(4, 44n, true); // the size of the rest of the record
	out.setUint16(12, 0x032d, true); // made by: Unix, ZIP 4.5 (as client-zip)
	out.setUint16(14, 45, true); // needed: ZIP 4.5
	// Disk numbers (16, 20) stay 0: one disk.
	out.setBigUint64(24, BigInt(entries), true);
	out.setBigUint64(32, BigInt(entries), true);
	out.setBigUint64(40, BigInt(directorySize), true);
	out.setBigUint64(48, BigInt(directoryOffset), true);
	out.setUint32(56, 0x07064b50, true); // the locator: where the record above starts
	out.setBigUint64(64, BigInt(directoryOffset + directorySize), true);
	out.setUint32(72, 1, true); // disks in all
	return new Uint8Array(out.buffer);
}

/** A name for the ZIP file itself. */
export function zipFileName(files: FileEntry[]): string {
	const folders = new Set(files.map((f) => f.name.split('/')[0]!));
	const [only] = folders;
	// All files in one folder: name the ZIP after it.
	return folders.size === 1 && files.every((f) => f.name.includes('/')) && only ? `${only}.zip` : 'sealdrop-files.zip';
}

/** A SaveSink that feeds a ReadableStream, one chunk at a time: write waits until it is read. */
export function streamSink(): { stream: ReadableStream<Uint8Array>; sink: SaveSink } {
	let controller!: ReadableStreamDefaultController<Uint8Array>;
	let wake: (() => void) | null = null;
	let cancelled: unknown = undefined;
	let isCancelled = false;
	const stream = new ReadableStream<Uint8Array>(
		{
			start(c) {
				controller = c;
			},
			pull() {
				wake?.();
				wake = null;
			},
			cancel(reason) {
				isCancelled = true;
				cancelled = reason ?? new DOMException('The ZIP was cancelled.', 'AbortError');
				wake?.();
				wake = null;
			}
		},
		{ highWaterMark: 1 }
	);
	const sink: SaveSink = {
		async write(chunk) {
			if (isCancelled) throw cancelled;
			controller.enqueue(chunk);
			while (!isCancelled && (controller.desiredSize ?? 1) <= 0) await new Promise<void>((resolve) => (wake = resolve));
			if (isCancelled) throw cancelled;
		},
		async close() {
			if (!isCancelled) controller.close();
		},
		async abort(reason) {
			if (!isCancelled) controller.error(reason);
		}
	};
	return { stream, sink };
}

export interface ZipOptions {
	/** Modification time of every entry (the share's creation time). */
	lastModified: Date;
	onProgress?: ProgressListener;
	/** Which file is being decrypted, for the page. */
	onFile?: (file: FileEntry) => void;
	signal?: AbortSignal;
}

/**
 * Writes a ZIP of `files` (decrypted through `session`, which claims its one download on first
 * use) into `sink`, then closes it; on any failure the sink is aborted, so no partial ZIP looks
 * complete.
 */
export async function saveZip(session: DownloadSession, files: FileEntry[], sink: SaveSink, options: ZipOptions): Promise<void> {
	const names = zipNames(files);
	const expected = zipSize(files);
	const layout = zipLayout(files);
	const total = files.reduce((sum, f) => sum + f.size, 0);
	let before = 0;
	const copies: Promise<void>[] = [];
	/**
	 * The file data we feed in, which client-zip passes through unchanged. Its own headers and
	 * central directory it still reads after yielding them (to add up their lengths), so those
	 * are copied before a sink that takes its chunks (the service-worker sink) can detach them.
	 */
	const ours = new WeakSet<Uint8Array>();

	async function* entries() {
		for (const [i, file] of files.entries()) {
			options.onFile?.(file);
			const bridge = streamSink();
			const base = before;
			const progress = (p: Progress) => options.onProgress?.({ ...p, done: base + p.done, total });
			const feed: SaveSink = { ...bridge.sink, write: (chunk) => (ours.add(chunk), bridge.sink.write(chunk)) };
			const copy = session.save(file.offset, file.offset + file.size, feed, progress, options.signal);
			copy.catch(() => {}); // its error reaches the ZIP through the entry's stream
			copies.push(copy);
			yield { name: names[i]!, size: file.size, lastModified: options.lastModified, input: bridge.stream };
			await copy; // client-zip asks for the next entry only once this one's stream has ended
			before += file.size;
		}
	}

	const reader = makeZip(entries(), { buffersAreUTF8: true }).getReader();
	let written = 0;
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			// client-zip's last chunk is its end record, at a known place: the ZIP64 one goes first.
			if (layout.addZip64 && written === layout.raw - END_BYTES && !ours.has(value)) {
				const zip64 = zip64End(files.length, value);
				written += zip64.byteLength;
				await sink.write(zip64);
			}
			written += value.byteLength;
			await sink.write(ours.has(value) ? value : value.slice());
		}
		// A decryption failure rejects its copy even if the ZIP stream ended normally.
		await Promise.all(copies);
		if (written !== expected) throw new Error(`The ZIP came out at ${written} bytes instead of ${expected}.`);
		await sink.close();
	} catch (err) {
		await reader.cancel(err).catch(() => {});
		await sink.abort(err).catch(() => {});
		throw err;
	}
}
