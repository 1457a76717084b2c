import { open, type FileHandle } from 'node:fs/promises';
import { ApiClient } from '../src/lib/api/client';
import { blobSource, encryptBlobRecords, type ByteSource } from '../src/lib/crypto';
import { CipherReader } from '../src/lib/transfer/cipher-reader';
import type { CryptoBackend, PartUpload } from '../src/lib/transfer/crypto-backend';
import type { ContentSource } from '../src/lib/transfer/upload';
import { diskPath } from './sources';

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

/**
 * Bytes a download decrypts ahead of the file write (the browser's worker keeps 8 MiB). Every
 * plaintext is a fresh WebCrypto buffer; with 8 MiB queued many outlive two scavenges, are
 * promoted and wait for a full collection, which V8 starts only after ~64 MiB more of native
 * memory: peak RSS 180-190 MiB at 512 MiB and 1 GiB, 125-145 with 2 MiB, at the same speed.
 */
export const GET_AHEAD_BYTES = 2 << 20;

/** The engine's crypto in Node; the part's content is a Blob (tests) or the CLI's DiskSource. */
export const nodeBackend: CryptoBackend = {
	sendPart: (part, signal) => sendPartStreamed(part, 'slice' in part.source ? blobSource(part.source) : part.source, signal),
	openRange: (request) => new CipherReader(request, { aheadBytes: GET_AHEAD_BYTES }),
	dispose() {}
};

/**
 * Batches of 1 MiB: a file read costs little in Node (Chromium's Blob reads want 8 MiB), and
 * with 3 parts in flight at most ~4 batches each are alive.
 */
const BATCH_BYTES = 1 << 20;
/**
 * Sealed records ahead of the request body, per part (the browser's default is 2 MiB): each is a
 * fresh WebCrypto buffer, and fewer alive at once lowered a 1 GiB send's peak RSS by ~20 MiB at
 * the same speed (3 parts in flight keep the thread pool busy).
 */
export const SEND_AHEAD_BYTES = 512 << 10;
/** Free batches kept for reuse; beyond that they are left to the garbage collector. */
const POOL_MAX = 16;

/** A file on disk as `send` found it (a change since is refused, as the browser's File does). */
interface OnDisk {
	path: string;
	size: number;
	lastModified: number;
}

/**
 * An upload's content (the files in order, then the note) read with a FileHandle into buffers
 * reused across batches and parts (slices of fs.openAsBlob Blobs copy into a fresh ArrayBuffer
 * each time, and its size is wrong from 4 GiB on). The encryptor gives a
 * batch back only after every record of it is sealed (WebCrypto's output is a new buffer), so a
 * reused buffer is never read by a seal still running.
 */
export class DiskSource {
	private readonly pool: ArrayBuffer[] = [];
	private readonly handles = new Map<string, Promise<FileHandle>>();

	/** The engine's UploadDeps.content: `files` must be Files of `collectSources` (they know their path). */
	readonly content: ContentSource = (files, note) => {
		const disk = files.map((file) => {
			const path = diskPath(file);
			if (path === undefined) throw new TypeError(`${file.name} is not a file on disk`);
			return { path, size: file.size, lastModified: file.lastModified };
		});
		const filesSize = disk.reduce((sum, f) => sum + f.size, 0);
		return {
			size: filesSize + note.byteLength,
			readBytes: BATCH_BYTES,
			aheadBytes: SEND_AHEAD_BYTES,
			read: (offset, length) => this.read(disk, note, offset, length),
			release: (bytes) => {
				if (bytes.buffer.byteLength === BATCH_BYTES && this.pool.length < POOL_MAX) this.pool.push(bytes.buffer as ArrayBuffer);
			}
		};
	};

	private handle(file: OnDisk): Promise<FileHandle> {
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

	private async read(files: OnDisk[], note: Uint8Array, offset: number, length: number): Promise<Uint8Array> {
		const buffer = length <= BATCH_BYTES ? (this.pool.pop() ?? new ArrayBuffer(BATCH_BYTES)) : new ArrayBuffer(length);
		const out = new Uint8Array(buffer, 0, length);
		let at = 0;
		let start = 0;
		for (const file of files) {
			const end = start + file.size;
			if (at < length && offset + at < end) {
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
			const from = offset + at - start;
			const tail = note.subarray(from, from + (length - at));
			out.set(tail, at);
			at += tail.byteLength;
		}
		return out.subarray(0, at);
	}

	async close(): Promise<void> {
		const handles = [...this.handles.values()];
		this.handles.clear();
		await Promise.all(handles.map(async (h) => (await h.catch(() => null))?.close()));
	}
}
