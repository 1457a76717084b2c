import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SHARE_ID_PATTERN } from '../../../src/lib/api/types';
import { chunksOf, fileStream, type ByteSource } from '../../streams';
import { transientErrno, translatingErrors } from '../errors';
import {
	checkReadRange,
	PartLengthError,
	PartsMismatchError,
	UploadClosedError,
	type BlobLayout,
	type BlobStore,
	type BlobUpload,
	type LiveBlobs
} from './types';

/** Writes are batched to this size: fewer syscalls, bounded memory per upload. */
const WRITE_BATCH_BYTES = 1024 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;
const UPLOAD_SUFFIX = '.upload';
/** A part of a completed blob. */
const SEALED_NAME = /^\d+$/;
/** Ids asked about at once when looking for orphans. */
const ORPHAN_BATCH = 500;
/** Part files flushed at once by complete (each takes a libuv thread while it runs). */
const SYNC_CONCURRENCY = 8;
/** Where Linux names the current boot; a power cut or crash of the machine changes it. */
const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';
/** `<boot>.<random>`: the etag of a part written, not yet flushed, during boot `<boot>`. */
const UNFLUSHED_ETAG = /^([0-9a-f]{12})\.[\w-]{12}$/;

export interface FsBlobOptions {
	/**
	 * The machine's boot id (default: read from /proc). Parts are acknowledged before they are on
	 * the disk and flushed by complete; one received before the machine restarted may have lost
	 * bytes in the page cache, so complete asks for it again. `null`: no boot id to tell (not
	 * Linux), so each part is flushed before it is acknowledged instead.
	 */
	bootId?: string | null;
}

/**
 * Blobs on a local filesystem:
 *
 *     <root>/.tmp/<id>.<n>.<etag>     a part being received
 *     <root>/<id>.upload/<n>.<etag>   the parts of an upload in progress, one file per upload of a part
 *     <root>/<id>/<n>                 the parts of a completed blob
 *
 * A part is written to its own temp file and renamed into place under a random etag, so parallel
 * and repeated uploads of one part are safe, and complete seals exactly the copy whose etag was
 * recorded, never one that a racing upload put there after the parts were listed. Completing
 * renames the directory (no copy, however big the share; a part still in flight then finds its
 * directory gone), then names each recorded copy `<n>` and deletes the others.
 *
 * Durability: until complete, parts are only a cache of what the client holds (complete checks
 * every recorded part and answers MISSING_PARTS for any it lacks), so a part is acknowledged
 * without fsync — three flushes per part were most of the upload cost at 16 uploads at once
 * (SELF-HOSTING.md, "Durability"). Complete flushes every part, in parallel, before naming it
 * `<n>`, and then the directories, so a share is never ready before all its bytes are on the
 * disk. The etag carries the boot it was written in: after a machine restart the page cache of
 * an unflushed part may be gone while its record survived, so complete asks for it again.
 */
export class FsBlobStore implements BlobStore {
	private readonly tmpDir: string;

	private constructor(
		private readonly root: string,
		/** The first 12 hex digits of the boot id; undefined: flush each part before its ack. */
		private readonly boot: string | undefined
	) {
		this.tmpDir = join(root, '.tmp');
	}

	static async open(root: string, options: FsBlobOptions = {}): Promise<FsBlobStore> {
		const bootId = options.bootId === undefined ? await readBootId() : options.bootId;
		const store = new FsBlobStore(root, bootId?.replaceAll('-', '').slice(0, 12).toLowerCase() || undefined);
		await mkdir(store.tmpDir, { recursive: true, mode: 0o700 });
		// A full disk or too many open files: StoreUnavailableError, whichever call hits it.
		return translatingErrors(store, 'blobs', transientErrno);
	}

	private uploadDir(id: string): string {
		return join(this.root, checkId(id) + UPLOAD_SUFFIX);
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
	): Promise<{ size: number; etag: string }> {
		const dir = this.uploadDir(blob.id);
		const random = randomBytes(9).toString('base64url');
		const etag = this.boot === undefined ? random : `${this.boot}.${random}`;
		const tmp = join(this.tmpDir, `${blob.id}.${n}.${etag}`);
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
			// Without a boot id a later complete could not tell a part that lost its bytes.
			if (this.boot === undefined) await handle.datasync();
			handleOpen = false;
			await handle.close();
			try {
				await rename(tmp, join(dir, `${n}.${etag}`));
				if (this.boot === undefined) await fsyncDir(dir);
			} catch (error) {
				// The directory was completed (renamed) or deleted meanwhile, before or just after our
				// rename: either way this copy is not recorded, so complete does not seal it.
				if (isMissing(error)) throw new UploadClosedError(blob.id);
				throw error;
			}
			// Earlier copies of part n stay until complete: whichever copy the MetaStore ends up
			// recording (the last upload to record, not the last to finish) must still be there.
			return { size: received, etag };
		} catch (error) {
			if (handleOpen) await handle.close().catch(() => {});
			await rm(tmp, { force: true });
			throw error;
		}
	}

	async complete(blob: BlobUpload, parts: { n: number; size: number; etag?: string | null }[]): Promise<void> {
		const from = this.uploadDir(blob.id);
		const to = this.blobDir(blob.id);
		// Rename first, check after: once renamed, no part can land in the directory any more, so
		// what is checked is what is sealed.
		try {
			await rename(from, to);
		} catch (error) {
			// Completed already (a retry after a crash, or a concurrent complete): check the result.
			if (!isMissing(error)) throw error;
			if (!(await exists(to)))
				throw new PartsMismatchError(
					blob.id,
					parts.map((part) => part.n),
					true
				);
		}
		const names = new Set(await readdir(to));
		// A sealed `<n>` means an earlier complete of this same list began naming the parts (the
		// list cannot change while a complete holds the share): it counts for its part.
		const resumed = [...names].some((name) => SEALED_NAME.test(name));
		const chosen = new Map<number, string>();
		const wrong: number[] = [];
		for (const part of parts) {
			const copy = part.etag ? `${part.n}.${part.etag}` : String(part.n);
			const name = names.has(copy) ? copy : resumed && names.has(String(part.n)) ? String(part.n) : undefined;
			const info = name === undefined ? undefined : await stat(join(to, name));
			if (name === undefined || info?.size !== part.size || !this.trusted(name)) wrong.push(part.n);
			else chosen.set(part.n, name);
		}
		if (wrong.length > 0) {
			// Half-named parts cannot go back to taking uploads: the upload must begin again.
			if (resumed) throw new PartsMismatchError(blob.id, wrong, true);
			// Give the upload back so the missing or replaced parts can be sent again.
			await rename(to, from);
			await fsyncDir(this.root);
			throw new PartsMismatchError(blob.id, wrong);
		}
		// On the disk before named `<n>`: a sealed name always means flushed bytes, even for a
		// complete that a crash interrupts and a retry resumes.
		await eachLimited([...chosen.values()], SYNC_CONCURRENCY, (name) => fsyncFile(join(to, name)));
		for (const [n, name] of chosen) if (name !== String(n)) await rename(join(to, name), join(to, String(n)));
		// Copies that were not recorded (replaced, or racing the seal) are not part of the blob.
		const sealed = new Set([...chosen.keys()].map(String));
		for (const name of await readdir(to)) if (!sealed.has(name)) await rm(join(to, name), { force: true });
		await fsyncDir(to);
		await fsyncDir(this.root);
	}

	/** Whether part file `name` can still hold the bytes acknowledged: not unflushed from another boot. */
	private trusted(name: string): boolean {
		const unflushed = UNFLUSHED_ETAG.exec(name.slice(name.indexOf('.') + 1));
		return !unflushed || unflushed[1] === this.boot;
	}

	async read(blob: BlobLayout, start: number, endExclusive: number): Promise<ReadableStream<Uint8Array>> {
		checkReadRange(blob, start, endExclusive);
		const dir = this.blobDir(blob.id);
		const first = Math.floor(start / blob.partSize);
		const last = Math.floor((endExclusive - 1) / blob.partSize);
		// Fail before the response starts if the blob is not there.
		await stat(join(dir, String(first)));
		const parts = [];
		for (let k = first; k <= last; k++) {
			const partStart = k * blob.partSize;
			parts.push({
				open: () => open(join(dir, String(k)), 'r'),
				start: Math.max(start, partStart) - partStart,
				endExclusive: Math.min(endExclusive, partStart + blob.partSize) - partStart
			});
		}
		return fileStream(parts, READ_CHUNK_BYTES);
	}

	async readUploadingPart(
		id: string,
		n: number,
		etag: string | null,
		start: number,
		endExclusive: number
	): Promise<ReadableStream<Uint8Array>> {
		// Opened before any byte is sent: an open file survives the renames of a complete.
		let handle: FileHandle;
		try {
			handle = await open(join(this.uploadDir(id), etag ? `${n}.${etag}` : String(n)), 'r');
		} catch (error) {
			if (!isMissing(error)) throw error;
			// Sealed meanwhile: the recorded copy is now `<id>/<n>`.
			handle = await open(join(this.blobDir(id), String(n)), 'r');
		}
		return fileStream([{ open: async () => handle, start, endExclusive }], READ_CHUNK_BYTES, handle);
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
		for (const name of names) if (SEALED_NAME.test(name)) total += (await stat(join(this.blobDir(id), name))).size;
		return total;
	}

	async ping(): Promise<void> {
		// Readable and writable, as every upload needs.
		await access(this.tmpDir, constants.R_OK | constants.W_OK);
	}

	async collectOrphans(before: number, live: LiveBlobs): Promise<number> {
		// `<id>` and `<id>.upload` directories older than `before`, by id.
		const old = new Map<string, string[]>();
		for (const entry of await readdir(this.root, { withFileTypes: true })) {
			if (!entry.isDirectory()) continue;
			const id = entry.name.endsWith(UPLOAD_SUFFIX) ? entry.name.slice(0, -UPLOAD_SUFFIX.length) : entry.name;
			if (!SHARE_ID_PATTERN.test(id)) continue;
			const info = await stat(join(this.root, entry.name)).catch(() => undefined);
			if (!info || info.mtimeMs >= before) continue;
			old.set(id, [...(old.get(id) ?? []), entry.name]);
		}
		let removed = 0;
		const ids = [...old.keys()];
		for (let i = 0; i < ids.length; i += ORPHAN_BATCH) {
			const batch = ids.slice(i, i + ORPHAN_BATCH);
			const known = await live(batch);
			for (const id of batch) {
				if (known.has(id)) continue;
				for (const name of old.get(id) ?? []) await rm(join(this.root, name), { recursive: true, force: true });
				removed++;
			}
		}
		return removed;
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

async function exists(path: string): Promise<boolean> {
	return stat(path).then(
		() => true,
		(error: unknown) => {
			if (isMissing(error)) return false;
			throw error;
		}
	);
}

/**
 * Writes the chunks as they are, in one writev call if the kernel takes them all: joining them
 * first (Buffer.concat) copied every byte once more and, at 16 uploads at once, was the largest
 * source of garbage-collection time in the server's CPU profile (npm run bench, server-scale).
 */
async function writeFully(handle: FileHandle, chunks: Uint8Array[]): Promise<void> {
	let rest = chunks.filter((chunk) => chunk.byteLength > 0);
	while (rest.length > 0) {
		let { bytesWritten } = await handle.writev(rest);
		// A short write: drop what went out, keep the unwritten tail of the chunk it stopped in.
		while (rest.length > 0 && bytesWritten >= rest[0]!.byteLength) {
			bytesWritten -= rest[0]!.byteLength;
			rest = rest.slice(1);
		}
		if (bytesWritten > 0) rest = [rest[0]!.subarray(bytesWritten), ...rest.slice(1)];
	}
}

/** The machine's boot id, or undefined where there is none to read (not Linux). */
async function readBootId(): Promise<string | undefined> {
	try {
		return (await readFile(BOOT_ID_FILE, 'utf8')).trim();
	} catch {
		return undefined;
	}
}

/** Puts a file's bytes on the disk. */
async function fsyncFile(path: string): Promise<void> {
	const handle = await open(path, 'r');
	try {
		await handle.datasync();
	} finally {
		await handle.close();
	}
}

/** Runs `task` on every item, at most `limit` at once. */
async function eachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
	let next = 0;
	const worker = async () => {
		while (next < items.length) await task(items[next++]!);
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
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
