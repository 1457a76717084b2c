/// <reference lib="webworker" />
// Encrypting and sending upload parts, fetching and decrypting downloads: off the page's thread.
import * as Comlink from 'comlink';
import { CipherReader, type RangeRequest } from '../transfer/cipher-reader';
import { sendPartInline, type PartUpload } from '../transfer/crypto-backend';
import { fileErrorToWire, toWire, type WireError } from '../transfer/wire-errors';

const uploads = new Map<number, AbortController>();
const ranges = new Map<number, CipherReader>();
/**
 * Files (File System Access) open for writing here: the plaintext decrypted here is written here,
 * not handed to the page, which halves the browser's memory growth on a large save
 * (tests/bench/findings.ts).
 */
const files = new Map<number, WritableStreamDefaultWriter<Uint8Array>>();
/** Ranges written into a file here, by job; `position` is the share offset of the next byte read. */
const fileRanges = new Map<number, FileTarget & { position: number }>();

/** Where a range's plaintext goes when it is written here: its share offsets [start, end) into `file`. */
export interface FileTarget {
	file: number;
	start: number;
	end: number;
}

/**
 * What a range read hands the page: plaintext (transferred, not copied), or for a range written
 * into a file here the chunk's plaintext length (all of it, wanted or not); null at the end; or a
 * failure, `file` set when it was the file's write that failed.
 */
export type RangeChunk = { chunk: Uint8Array | null } | { length: number } | { error: WireError; file?: boolean };

/**
 * Hands `chunk` to the file without waiting for the write, so that the next chunk is decrypted
 * meanwhile; the stream's backpressure (`ready`) bounds what waits. A failed write fails the next
 * `ready` or the close.
 */
async function writeTo(file: number, chunk: Uint8Array): Promise<void> {
	const writer = files.get(file);
	if (!writer) throw new Error(`No file ${file}.`);
	await writer.ready;
	writer.write(chunk).catch(() => {});
}

/** Runs a file operation; resolves to null, or to the error to throw on the page. */
async function fileResult(work: () => Promise<void>): Promise<WireError | null> {
	try {
		await work();
		return null;
	} catch (err) {
		return fileErrorToWire(err);
	}
}

const api = {
	/** Resolves to null on success, or to the error to throw on the page. */
	async sendPart(job: number, part: PartUpload): Promise<WireError | null> {
		const controller = new AbortController();
		uploads.set(job, controller);
		try {
			await sendPartInline(part, controller.signal);
			return null;
		} catch (err) {
			return toWire(err);
		} finally {
			uploads.delete(job);
		}
	},
	abortPart(job: number): void {
		uploads.get(job)?.abort();
	},
	openRange(job: number, request: RangeRequest, target?: FileTarget): void {
		ranges.set(job, new CipherReader(request));
		if (target) fileRanges.set(job, { ...target, position: request.firstRecord * request.layout.recordSize });
	},
	async readRange(job: number): Promise<RangeChunk> {
		const reader = ranges.get(job);
		if (!reader) return { error: toWire(new Error(`No download ${job}.`)) };
		let chunk: Uint8Array | null;
		try {
			chunk = await reader.read();
		} catch (err) {
			forget(job);
			return { error: toWire(err) };
		}
		if (chunk === null) forget(job);
		const target = fileRanges.get(job);
		if (!chunk || !target) return chunk ? Comlink.transfer({ chunk }, [chunk.buffer as ArrayBuffer]) : { chunk };
		// Only the wanted bytes: the first and last records may hold neighbouring files.
		const at = target.position;
		target.position += chunk.byteLength;
		const from = Math.max(target.start, at);
		const to = Math.min(target.end, target.position);
		try {
			if (to > from) await writeTo(target.file, chunk.subarray(from - at, to - at));
		} catch (err) {
			forget(job);
			return { error: fileErrorToWire(err), file: true };
		}
		return { length: chunk.byteLength };
	},
	closeRange(job: number): void {
		ranges.get(job)?.close();
		forget(job);
	},
	async openFile(file: number, handle: FileSystemFileHandle): Promise<WireError | null> {
		return fileResult(async () => void files.set(file, (await handle.createWritable()).getWriter()));
	},
	/** Bytes made on the page (a ZIP is put together there). */
	writeFile(file: number, chunk: Uint8Array): Promise<WireError | null> {
		return fileResult(() => writeTo(file, chunk));
	},
	/** Chromium writes to a swap file and moves it into place only on close. */
	closeFile(file: number): Promise<WireError | null> {
		const writer = files.get(file);
		files.delete(file);
		return fileResult(async () => writer?.close());
	},
	/** Drops the swap file: nothing of a partial save becomes the user's file. */
	abortFile(file: number, reason: string): Promise<WireError | null> {
		const writer = files.get(file);
		files.delete(file);
		return fileResult(async () => writer?.abort(new Error(reason)));
	}
};

function forget(job: number) {
	ranges.delete(job);
	fileRanges.delete(job);
}

export type CryptoWorkerApi = typeof api;

Comlink.expose(api);
