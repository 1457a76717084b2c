import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SHARE_ID_PATTERN } from '../../../src/lib/api/types';
import { chunksOf, toWebStream, type ByteSource } from '../../streams';
import {
	PartLengthError,
	UploadClosedError,
	type BlobLayout,
	type BlobStore,
	type BlobUpload
} from './types';

/** Writes are batched to this size: fewer syscalls, bounded memory per upload. */
const WRITE_BATCH_BYTES = 1024 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Blobs on a local filesystem:
 *
 *     <root>/.tmp/<id>.<n>.<random>   a part being received
 *     <root>/<id>.upload/<n>          the parts of an upload in progress
 *     <root>/<id>/<n>                 the parts of a completed blob
 *
 * A part is written to its own temp file, fsync'd and renamed into place, so parallel and
 * repeated uploads of one part are safe (the last rename wins, readers never see half a part).
 * Completing renames the directory: no copy, however big the share, and a part still in flight
 * after that finds its directory gone instead of changing a sealed blob.
 */
export class FsBlobStore implements BlobStore {
	private readonly tmpDir: string;

	private constructor(private readonly root: string) {
		this.tmpDir = join(root, '.tmp');
	}

	static async open(root: string): Promise<FsBlobStore> {
		const store = new FsBlobStore(root);
		await mkdir(store.tmpDir, { recursive: true, mode: 0o700 });
		return store;
	}

	private uploadDir(id: string): string {
		return join(this.root, `${checkId(id)}.upload`);
	}

	private blobDir(id: string): string {
		return join(this.root, checkId(id));
	}

	async begin(id: string): Promise<null> {
		await mkdir(this.uploadDir(id), { mode: 0o700 });
		await fsyncDir(this.root);
		return null;
	}

	async putPart(
		blob: BlobUpload,
		n: number,
		body: ByteSource,
		expectedLength: number,
		signal?: AbortSignal
	): Promise<{ size: number }> {
		const dir = this.uploadDir(blob.id);
		const tmp = join(this.tmpDir, `${blob.id}.${n}.${randomBytes(8).toString('hex')}`);
		const handle = await open(tmp, 'wx', 0o600);
		let handleOpen = true;
		try {
			let received = 0;
			let batch: Uint8Array[] = [];
			let batchBytes = 0;
			for await (const chunk of chunksOf(body)) {
				signal?.throwIfAborted();
				received += chunk.byteLength;
				if (received > expectedLength) throw new PartLengthError('long', expectedLength, received);
				batch.push(chunk);
				batchBytes += chunk.byteLength;
				if (batchBytes >= WRITE_BATCH_BYTES) {
					await writeFully(handle, batch);
					batch = [];
					batchBytes = 0;
				}
			}
			signal?.throwIfAborted();
			if (received < expectedLength) throw new PartLengthError('short', expectedLength, received);
			await writeFully(handle, batch);
			await handle.datasync();
			handleOpen = false;
			await handle.close();
			try {
				await rename(tmp, join(dir, String(n)));
			} catch (error) {
				if (isMissing(error)) throw new UploadClosedError(blob.id);
				throw error;
			}
			await fsyncDir(dir);
			return { size: received };
		} catch (error) {
			if (handleOpen) await handle.close().catch(() => {});
			await rm(tmp, { force: true });
			throw error;
		}
	}

	async complete(blob: BlobUpload, parts: { n: number; size: number }[]): Promise<void> {
		const from = this.uploadDir(blob.id);
		const to = this.blobDir(blob.id);
		try {
			await checkParts(from, parts);
			await rename(from, to);
		} catch (error) {
			// Completed already (a retry after a crash, or a concurrent complete): check the result.
			if (!isMissing(error)) throw error;
			await checkParts(to, parts);
		}
		await fsyncDir(this.root);
	}

	async read(blob: BlobLayout, start: number, endExclusive: number): Promise<ReadableStream<Uint8Array>> {
		if (!(Number.isSafeInteger(start) && Number.isSafeInteger(endExclusive) && 0 <= start && start < endExclusive && endExclusive <= blob.size)) {
			throw new RangeError(`bad range ${start}-${endExclusive} of ${blob.size}`);
		}
		const dir = this.blobDir(blob.id);
		const first = Math.floor(start / blob.partSize);
		const last = Math.floor((endExclusive - 1) / blob.partSize);
		// Fail before the response starts if the blob is not there.
		await stat(join(dir, String(first)));
		async function* bytes(): AsyncGenerator<Uint8Array> {
			for (let k = first; k <= last; k++) {
				const partStart = k * blob.partSize;
				const from = Math.max(start, partStart) - partStart;
				const to = Math.min(endExclusive, partStart + blob.partSize) - partStart;
				// createReadStream's `end` is inclusive; the for-await closes the file on early exit.
				const file = createReadStream(join(dir, String(k)), { start: from, end: to - 1, highWaterMark: READ_CHUNK_BYTES });
				for await (const chunk of file) yield chunk as Buffer;
			}
		}
		return toWebStream(bytes());
	}

	async delete(blob: BlobUpload): Promise<void> {
		await rm(this.uploadDir(blob.id), { recursive: true, force: true });
		await rm(this.blobDir(blob.id), { recursive: true, force: true });
	}

	async size(id: string): Promise<number | undefined> {
		let names: string[];
		try {
			names = await readdir(this.blobDir(id));
		} catch (error) {
			if (isMissing(error)) return undefined;
			throw error;
		}
		let total = 0;
		for (const name of names) if (/^\d+$/.test(name)) total += (await stat(join(this.blobDir(id), name))).size;
		return total;
	}

	async ping(): Promise<void> {
		// Readable and writable, as every upload needs.
		await access(this.tmpDir, constants.R_OK | constants.W_OK);
	}

	async collectGarbage(before: number): Promise<void> {
		for (const name of await readdir(this.tmpDir)) {
			const path = join(this.tmpDir, name);
			const info = await stat(path).catch(() => undefined);
			if (info && info.mtimeMs < before) await rm(path, { force: true });
		}
	}
}

/** Ids become path segments: refuse anything but a well-formed share id. */
function checkId(id: string): string {
	if (!SHARE_ID_PATTERN.test(id)) throw new Error('invalid blob id');
	return id;
}

function isMissing(error: unknown): boolean {
	return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

async function checkParts(dir: string, parts: { n: number; size: number }[]): Promise<void> {
	for (const part of parts) {
		const info = await stat(join(dir, String(part.n)));
		if (info.size !== part.size) throw new Error(`stored part ${part.n} has ${info.size} bytes, expected ${part.size}`);
	}
}

async function writeFully(handle: FileHandle, chunks: Uint8Array[]): Promise<void> {
	if (chunks.length === 0) return;
	const data = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks);
	for (let offset = 0; offset < data.byteLength; ) {
		const { bytesWritten } = await handle.write(data, offset, data.byteLength - offset);
		offset += bytesWritten;
	}
}

/** Makes a rename or a new entry in `dir` durable. */
async function fsyncDir(dir: string): Promise<void> {
	const handle = await open(dir, 'r');
	try {
		await handle.sync();
	} finally {
		await handle.close();
	}
}
