import type { AppError } from '../errors';
import { chunksOf, toWebStream } from '../streams';
import type { ShareRecord } from '../stores/meta/types';
import type { ShareDeps } from './deps';
import { directStore } from './direct';
import { notYetUploaded, shareNotFound, shuttingDown, uploadEnded } from './errors';
import { partLength } from './layout';

/**
 * Streaming while uploading (docs/API.md, "Reading a share that is still uploading"): a recipient
 * may claim a share whose upload still runs, and its blob reads wait for the parts it needs.
 * Waits are woken at once by a part recorded (or a complete, or a delete) on this instance, and
 * otherwise re-read the metadata store every `pollMs`, which is how a part that reached another
 * instance is seen.
 */
export interface StreamTiming {
	/** The longest a blob read waits for a part before answering NOT_YET_UPLOADED (or cutting a body). */
	waitMs: number;
	/** How often a waiting read looks at the metadata store for a part another instance received. */
	pollMs: number;
}

export const DEFAULT_STREAM_TIMING: StreamTiming = { waitMs: 25_000, pollMs: 1_000 };

/** Per-instance wake-ups of reads waiting on a share's upload. */
export class UploadSignals {
	private readonly waiting = new Map<string, Set<() => void>>();
	/** Notifies so far: read before a check and given to {@link wait}, so one in between is not lost. */
	changes = 0;
	/** Set by {@link stop}: no read waits any more. */
	stopping = false;

	constructor(readonly timing: StreamTiming = DEFAULT_STREAM_TIMING) {}

	/** The server is shutting down: every waiting read ends now, so none holds the shutdown. */
	stop(): void {
		this.stopping = true;
		const all = [...this.waiting.values()];
		this.waiting.clear();
		for (const wakers of all) for (const wake of wakers) wake();
	}

	/** Something changed in share `id`'s upload: a part, a complete, a delete. */
	notify(id: string): void {
		this.changes++;
		const wakers = this.waiting.get(id);
		if (!wakers) return;
		this.waiting.delete(id);
		for (const wake of wakers) wake();
	}

	/** Resolves on the next notify of `id`, after `ms`, or when `signal` aborts, whichever is first. */
	wait(id: string, ms: number, signal?: AbortSignal, since?: number): Promise<void> {
		if (since !== undefined && since !== this.changes) return Promise.resolve(); // changed since the caller looked
		return new Promise((resolve) => {
			const done = () => {
				clearTimeout(timer);
				signal?.removeEventListener('abort', done);
				this.waiting.get(id)?.delete(done);
				resolve();
			};
			const timer = setTimeout(done, ms);
			signal?.addEventListener('abort', done, { once: true });
			let wakers = this.waiting.get(id);
			if (!wakers) this.waiting.set(id, (wakers = new Set()));
			wakers.add(done);
		});
	}
}

/**
 * Whether this server can serve shares before they are complete (its blob store reads unfinished
 * parts), and, given `share`, that share's upload (on S3, not one begun as a multipart upload).
 */
export function streamable(deps: ShareDeps, share?: ShareRecord): boolean {
	return (
		typeof deps.blobs.readUploadingPart === 'function' &&
		directStore(deps) === undefined &&
		(share === undefined || deps.blobs.readsUpload?.(share.blobUpload) !== false)
	);
}

/** An uploading share whose uploader has been silent past the abandon rule: the sweeper will remove it. */
export function uploaderGone(deps: ShareDeps, share: ShareRecord): boolean {
	return (
		share.state === 'uploading' && share.completingSince === null && share.lastPartAt + deps.config.abandonAfter * 1000 <= deps.clock.now()
	);
}

/** Ciphertext bytes received so far: the parts recorded with their full length. */
export async function receivedBytes(deps: ShareDeps, share: ShareRecord): Promise<number> {
	const parts = await deps.meta.parts.list(share.id);
	return parts
		.filter((part) => part.size > 0 && part.size === partLength(share.size, share.partSize, part.n))
		.reduce((sum, part) => sum + part.size, 0);
}

type PartSource = { sealed: true } | { sealed: false; etag: string | null };

/**
 * Waits until part `n` of share `id` can be read: stored (the copy recorded), or the share sealed.
 * Throws UPLOAD_ABANDONED if the upload ended unfinished, NOT_YET_UPLOADED after `waitMs`, and
 * UNAVAILABLE (retry in a second) once the server is shutting down.
 */
async function partReady(deps: ShareDeps, id: string, n: number, signal: AbortSignal | undefined): Promise<PartSource> {
	const timing = deps.uploads?.timing ?? DEFAULT_STREAM_TIMING;
	const deadline = performance.now() + timing.waitMs;
	for (;;) {
		const seen = deps.uploads?.changes;
		const share = await deps.meta.shares.get(id);
		if (!share) throw shareNotFound();
		if (share.state === 'ready') return { sealed: true };
		if (share.state !== 'uploading' || uploaderGone(deps, share)) throw uploadEnded();
		const parts = await deps.meta.parts.list(id);
		const part = parts.find((p) => p.n === n);
		if (part && part.size > 0 && part.size === partLength(share.size, share.partSize, n)) return { sealed: false, etag: part.etag };
		if (deps.uploads?.stopping) throw shuttingDown();
		const left = deadline - performance.now();
		if (left <= 0 || signal?.aborted) throw notYetUploaded(await receivedBytes(deps, share));
		await (deps.uploads ? deps.uploads.wait(id, Math.min(left, timing.pollMs), signal, seen) : sleep(Math.min(left, timing.pollMs)));
	}
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Bytes `start … endExclusive−1` of a share that was uploading when its ticket was checked. Waits
 * (up to waitMs) for the first part before resolving, so a part not yet there is a clean
 * NOT_YET_UPLOADED answer; after that the body streams each part as it arrives, and a wait that
 * runs out, or an upload that ends unfinished, fails the body (the route cuts the connection: the
 * client resumes from the last whole record it received). Once the share is sealed, the rest comes
 * from the sealed blob.
 */
export async function readWhileUploading(
	deps: ShareDeps,
	share: ShareRecord,
	start: number,
	endExclusive: number,
	signal: AbortSignal | undefined
): Promise<ReadableStream<Uint8Array>> {
	const { id, partSize } = share;
	const layout = { id, size: share.size, partSize };
	const first = Math.floor(start / partSize);
	const last = Math.floor((endExclusive - 1) / partSize);
	const firstSource = await partReady(deps, id, first, signal);
	if (firstSource.sealed) return deps.blobs.read(layout, start, endExclusive);
	const readPart = deps.blobs.readUploadingPart!.bind(deps.blobs);
	const firstPart = await readPart(
		id,
		first,
		firstSource.etag,
		start - first * partSize,
		Math.min(endExclusive, (first + 1) * partSize) - first * partSize
	);
	async function* bytes(): AsyncGenerator<Uint8Array> {
		yield* chunksOf(firstPart);
		for (let k = first + 1; k <= last; k++) {
			const from = k * partSize;
			let source: PartSource;
			try {
				source = await partReady(deps, id, k, signal);
			} catch (error) {
				deps.logger.info({ shareId: id, part: k, code: (error as AppError).code }, 'streamed read stopped: part not uploaded');
				throw error;
			}
			if (source.sealed) {
				yield* chunksOf(await deps.blobs.read(layout, from, endExclusive));
				return;
			}
			yield* chunksOf(await readPart(id, k, source.etag, 0, Math.min(endExclusive, from + partSize) - from));
		}
	}
	return toWebStream(bytes());
}
