import { open, type FileHandle } from 'node:fs/promises';
import { ApiClient } from '../src/lib/api/client';
import { blobSource, encryptBlobRecords, type ByteSource } from '../src/lib/crypto';
import { CipherReader } from '../src/lib/transfer/cipher-reader';
import type { CryptoBackend, PartUpload } from '../src/lib/transfer/crypto-backend';

/**
 * The engine's crypto in Node: each part's records are sealed as the request body streams out,
 * with no part-sized buffer (the browser's backend builds a Blob; in Node that held ~60 MiB more
 * at peak, measured on 256 MiB sends).
 */
async function sendPartStreamed(part: PartUpload, source: ByteSource, signal?: AbortSignal): Promise<void> {
	const records = encryptBlobRecords(part.key, source, part.layout, part.first, part.count);
	// A failure to read or seal (a file changed, a disk error) reaches fetch as a network TypeError,
	// which the engine would retry: it is kept and thrown instead, not retried.
	let local: unknown;
	const body = new ReadableStream<Uint8Array>(
		{
			async pull(controller) {
				let next;
				try {
					next = await records.next();
				} catch (err) {
					local ??= err;
					throw err;
				}
				if (next.done) controller.close();
				else controller.enqueue(next.value);
			},
			async cancel() {
				await records.return(undefined);
			}
		},
		{ highWaterMark: 0 }
	);
	const api = new ApiClient(part.origin);
	try {
		if (part.direct) await api.putPartDirect(part.id, part.n, body, part.ownerToken, { signal });
		else await api.putPart(part.id, part.n, body, part.ownerToken, { signal });
	} catch (err) {
		throw local ?? err;
	}
}

/** Reads a Blob part by part: what the browser does, and what tests without files on disk use. */
export const nodeBackend: CryptoBackend = {
	sendPart: (part, signal) => sendPartStreamed(part, blobSource(part.source), signal),
	openRange: (request) => new CipherReader(request),
	dispose() {}
};

/** A file to read from disk, as `send` found it (a change since is refused, as the browser's File does). */
export interface DiskFile {
	path: string;
	size: number;
	lastModified: number;
}

/**
 * Batches of 1 MiB: a file read costs little in Node (Chromium's Blob reads want 8 MiB), and
 * with 3 parts in flight at most ~4 batches each are alive.
 */
const BATCH_BYTES = 1 << 20;
/** Free batches kept for reuse; beyond that they are left to the garbage collector. */
const POOL_MAX = 16;

/**
 * The concatenated files (then the note, read from the engine's Blob) as a ByteSource that reads
 * with a FileHandle into buffers reused across batches and parts. `fs.openAsBlob` slices copy into
 * a fresh ArrayBuffer each time, and that garbage kept the CLI's peak RSS at ~170-230 MiB.
 * The encryptor gives a batch back only after every record of it is sealed (WebCrypto's output
 * is a new buffer), so a reused buffer is never read by a seal still running.
 */
export class DiskSource {
	private readonly pool: ArrayBuffer[] = [];
	private readonly handles = new Map<string, Promise<FileHandle>>();

	constructor(private readonly files: DiskFile[]) {}

	/** The files' part of `blob` (the engine's content: the files, then the note) as a ByteSource. */
	sourceFor(blob: Blob): ByteSource {
		const filesSize = this.files.reduce((sum, f) => sum + f.size, 0);
		// Not these files (never with the CLI's own sends): read the Blob as the browser does.
		if (blob.size < filesSize) return blobSource(blob);
		const tail = blob.slice(filesSize);
		return {
			size: blob.size,
			readBytes: BATCH_BYTES,
			read: (offset, length) => this.read(offset, length, filesSize, tail),
			release: (bytes) => {
				if (bytes.byteLength <= BATCH_BYTES && bytes.buffer.byteLength === BATCH_BYTES && this.pool.length < POOL_MAX) {
					this.pool.push(bytes.buffer as ArrayBuffer);
				}
			}
		};
	}

	private handle(file: DiskFile): Promise<FileHandle> {
		let handle = this.handles.get(file.path);
		if (!handle) {
			handle = (async () => {
				const fh = await open(file.path, 'r');
				const info = await fh.stat();
				// As a browser's File: a file changed since it was chosen is not read (the share's size is fixed).
				if (info.size !== file.size || Math.floor(info.mtimeMs) !== file.lastModified) {
					await fh.close();
					throw Object.assign(new Error(`${file.path} changed after it was chosen`), { name: 'NotReadableError' });
				}
				return fh;
			})();
			handle.catch(() => this.handles.delete(file.path));
			this.handles.set(file.path, handle);
		}
		return handle;
	}

	private async read(offset: number, length: number, filesSize: number, tail: Blob): Promise<Uint8Array> {
		const buffer = length <= BATCH_BYTES ? (this.pool.pop() ?? new ArrayBuffer(BATCH_BYTES)) : new ArrayBuffer(length);
		const out = new Uint8Array(buffer, 0, length);
		let at = 0;
		let start = 0;
		for (const file of this.files) {
			const end = start + file.size;
			if (offset + at < end && at < length) {
				const fh = await this.handle(file);
				while (at < length && offset + at < end) {
					const want = Math.min(length - at, end - (offset + at));
					const { bytesRead } = await fh.read(out, at, want, offset + at - start);
					if (bytesRead === 0) return out.subarray(0, at); // the file shrank: the encryptor says BAD_SIZE
					at += bytesRead;
				}
			}
			start = end;
		}
		if (at < length) {
			const from = offset + at - filesSize;
			const note = new Uint8Array(await tail.slice(from, from + (length - at)).arrayBuffer());
			out.set(note, at);
			at += note.byteLength;
		}
		return out.subarray(0, at);
	}

	async close(): Promise<void> {
		const handles = [...this.handles.values()];
		this.handles.clear();
		await Promise.all(handles.map(async (h) => (await h.catch(() => null))?.close()));
	}
}

/** The CLI's backend for a send: the files are read from disk with a FileHandle, not through Blobs. */
export function diskBackend(disk: DiskSource): CryptoBackend {
	return {
		sendPart: (part, signal) => sendPartStreamed(part, disk.sourceFor(part.source), signal),
		openRange: (request) => new CipherReader(request),
		dispose() {}
	};
}
