import * as Comlink from 'comlink';
import type { CryptoWorkerApi } from '../workers/crypto.worker';
import { ApiError } from '../api/client';
import type { RangeReader } from '../transfer/cipher-reader';
import type { CryptoBackend } from '../transfer/crypto-backend';
import { fromWire, type WireError } from '../transfer/wire-errors';

interface Lane {
	worker: Worker;
	api: Comlink.Remote<CryptoWorkerApi>;
	busy: number;
	/** Parts this worker has sent. */
	parts: number;
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
export function createWorkerBackend(size = Math.min(4, Math.max(3, navigator.hardwareConcurrency || 2))): CryptoBackend {
	let lanes: Lane[] = [];
	let nextJob = 1;
	function pick(): Lane {
		if (lanes.length < size && lanes.every((l) => l.busy > 0)) {
			const worker = new Worker(new URL('../workers/crypto.worker.ts', import.meta.url), { type: 'module' });
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
			lanes.push({ worker, api: Comlink.wrap<CryptoWorkerApi>(worker), busy: 0, parts: 0, broken });
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
		const spent = lanes.filter((l) => l.busy === 0 && l.parts >= PARTS_PER_WORKER);
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
					const result = await Promise.race([lane.api.readRange(job), lane.broken]);
					if ('error' in result) {
						close();
						throw fromWire(result.error);
					}
					if (result.chunk === null) close();
					return result.chunk;
				},
				close
			};
		},
		dispose() {
			for (const lane of lanes) lane.worker.terminate();
			lanes = [];
		}
	};
}
