import * as Comlink from 'comlink';
import type { CryptoWorkerApi, RangeChunk } from '../workers/crypto.worker';
import { ApiError } from '../api/client';
import type { RangeReader } from '../transfer/cipher-reader';
import type { CryptoBackend, WorkerFile } from '../transfer/crypto-backend';
import { fromWire, type WireError } from '../transfer/wire-errors';

/** The worker writing a file ended before the file was complete (its unwritten bytes went with it). */
export class SaveInterruptedError extends Error {
	readonly code = 'SAVE_INTERRUPTED';
	constructor() {
		super('The browser ended the worker that was saving this file.');
	}
}

interface Lane {
	worker: Worker;
	api: Comlink.Remote<CryptoWorkerApi>;
	busy: number;
	/** Parts this worker has sent. */
	parts: number;
	/** Files open for writing in this worker: it is not retired while it holds one. */
	files: number;
	/**
	 * Rejects if the worker fails: above all when its script cannot be loaded (the network is
	 * down and the script is not cached), which would otherwise leave every call to it waiting forever.
	 */
	broken: Promise<never>;
}

/**
 * Parts a worker sends before it is replaced. A worker's garbage (the part's file read, its
 * sealed records, and the request body Blob whose bytes the browser process keeps) lasts until
 * its collector runs, which in a short-lived worker may be never, as V8 does not count a Blob's
 * bytes; ending the worker releases it all. The bench measures the trade-off between browser
 * growth and speed for this value and for the alternatives tried (tests/bench/findings.ts).
 */
const PARTS_PER_WORKER = 2;

/**
 * A small pool of crypto workers; each job goes to the least busy one. At least 3, one per
 * upload part in flight (DEFAULT_PARALLEL_PARTS), so that no worker holds two parts' garbage.
 */
export function createWorkerBackend(
	size = Math.min(4, Math.max(3, navigator.hardwareConcurrency || 2)),
	/** Starts a worker; tests keep hold of it to make it fail. */
	spawn = () => new Worker(new URL('../workers/crypto.worker.ts', import.meta.url), { type: 'module' })
): CryptoBackend {
	let lanes: Lane[] = [];
	let nextJob = 1;
	function pick(): Lane {
		if (lanes.length < size && lanes.every((l) => l.busy > 0)) {
			const worker = spawn();
			const broken = new Promise<never>((_, reject) =>
				worker.addEventListener(
					'error',
					() => {
						// Never picked again; its jobs fail as a network failure does, so they are retried.
						worker.terminate();
						lanes = lanes.filter((l) => l.worker !== worker);
						reject(new ApiError('NETWORK', 'The encryption worker could not be started.'));
					},
					{ once: true }
				)
			);
			broken.catch(() => {}); // heard by the jobs that race it
			lanes.push({ worker, api: Comlink.wrap<CryptoWorkerApi>(worker), busy: 0, parts: 0, files: 0, broken });
		}
		return lanes.reduce((a, b) => (b.busy < a.busy ? b : a), lanes[0]!);
	}
	async function on<T>(lane: Lane, job: () => Promise<T>): Promise<T> {
		lane.busy++;
		try {
			return await Promise.race([job(), lane.broken]);
		} finally {
			lane.busy--;
			retireSpent();
		}
	}
	function retireSpent() {
		const spent = lanes.filter((l) => l.busy === 0 && l.files === 0 && l.parts >= PARTS_PER_WORKER);
		for (const lane of spent) lane.worker.terminate();
		lanes = lanes.filter((l) => !spent.includes(l));
	}
	return {
		async sendPart(part, signal) {
			const lane = pick();
			lane.parts++;
			const job = nextJob++;
			const abort = () => void lane.api.abortPart(job);
			signal?.addEventListener('abort', abort, { once: true });
			try {
				const error: WireError | null = await on(lane, async () => lane.api.sendPart(job, part));
				if (error) throw signal?.aborted ? new ApiError('ABORTED', 'Cancelled.') : fromWire(error);
			} finally {
				signal?.removeEventListener('abort', abort);
			}
		},
		openRange(request): RangeReader {
			const lane = pick();
			const job = nextJob++;
			lane.busy++;
			void lane.api.openRange(job, request);
			return rangeOn(lane, job, lane.broken, (result) => {
				if ('length' in result) throw new Error('A range read gave no bytes.');
				return result.chunk;
			});
		},
		async openFile(handle) {
			const lane = pick();
			const file = nextJob++;
			lane.files++;
			let failed = false;
			/**
			 * The worker ending takes the file's unwritten bytes with it: no retry can bring them back,
			 * so the save fails (and starts that file again on Continue) rather than waits for a
			 * network that is not the problem.
			 */
			const lost = lane.broken.catch(() => {
				failed = true;
				throw new SaveInterruptedError();
			});
			lost.catch(() => {}); // heard by the calls that race it
			const call = async (work: () => Promise<WireError | null>) => {
				const error = await Promise.race([work(), lost]);
				if (error) {
					failed = true;
					throw fromWire(error);
				}
			};
			let open = true;
			const release = () => {
				if (!open) return;
				open = false;
				lane.files--;
				retireSpent();
			};
			try {
				await call(() => lane.api.openFile(file, handle));
			} catch (err) {
				release();
				throw err;
			}
			const opened: WorkerFile = {
				get failed() {
					return failed;
				},
				openRange(request, start, end) {
					const job = nextJob++;
					lane.busy++;
					void lane.api.openRange(job, request, { file, start, end });
					// Each answer is a chunk's plaintext length, once the worker handed its wanted bytes to the file.
					return rangeOn(
						lane,
						job,
						lost,
						(result) => ('length' in result ? result.length : null),
						() => (failed = true)
					);
				},
				write(chunk) {
					// Transferred, not copied, where the chunk is its whole buffer (a SaveSink may take it).
					const own = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice();
					return call(() => lane.api.writeFile(file, Comlink.transfer(own, [own.buffer as ArrayBuffer])));
				},
				async close() {
					try {
						await call(() => lane.api.closeFile(file));
					} finally {
						release();
					}
				},
				async abort(reason) {
					try {
						await call(() => lane.api.abortFile(file, reason instanceof Error ? reason.message : 'Download failed'));
					} finally {
						release();
					}
				}
			};
			return opened;
		},
		dispose() {
			for (const lane of lanes) lane.worker.terminate();
			lanes = [];
		}
	};

	/**
	 * The page's end of range `job` on `lane`, which fails with `broken` if the worker does: `take`
	 * turns each answer into what `read` returns (null at the end); `fileFailed` hears that the
	 * file the range writes into failed.
	 */
	function rangeOn<T>(
		lane: Lane,
		job: number,
		broken: Promise<never>,
		take: (result: Exclude<RangeChunk, { error: WireError }>) => T | null,
		fileFailed?: () => void
	): { read(): Promise<T | null>; close(): void } {
		let closed = false;
		const close = () => {
			if (closed) return;
			closed = true;
			lane.busy--;
			void lane.api.closeRange(job);
			retireSpent();
		};
		return {
			async read() {
				const result = await Promise.race([lane.api.readRange(job), broken]);
				if ('error' in result) {
					close();
					if (result.file) fileFailed?.();
					throw fromWire(result.error);
				}
				const value = take(result);
				if (value === null) close();
				return value;
			},
			close
		};
	}
}
