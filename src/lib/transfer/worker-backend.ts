import * as Comlink from 'comlink';
import type { CryptoWorkerApi } from '../workers/crypto.worker';
import { ApiError } from '../api/client';
import type { RangeReader } from './cipher-reader';
import type { CryptoBackend } from './crypto-backend';
import { fromWire, type WireError } from './wire-errors';

interface Lane {
	worker: Worker;
	api: Comlink.Remote<CryptoWorkerApi>;
	busy: number;
	/** Parts this worker has sent. */
	parts: number;
}

/**
 * Parts a worker sends before it is replaced. Each part's request body is a Blob whose bytes the
 * browser keeps until the worker's garbage collector drops the Blob, which may take hundreds of
 * MiB; ending the worker releases them all. Measured with `npm run bench` (browser growth).
 */
const PARTS_PER_WORKER = 4;

/** A small pool of crypto workers; each job goes to the least busy one. */
export function createWorkerBackend(size = Math.min(4, Math.max(2, navigator.hardwareConcurrency || 2))): CryptoBackend {
	let lanes: Lane[] = [];
	let nextJob = 1;
	function pick(): Lane {
		if (lanes.length < size && lanes.every((l) => l.busy > 0)) {
			const worker = new Worker(new URL('../workers/crypto.worker.ts', import.meta.url), { type: 'module' });
			lanes.push({ worker, api: Comlink.wrap<CryptoWorkerApi>(worker), busy: 0, parts: 0 });
		}
		return lanes.reduce((a, b) => (b.busy < a.busy ? b : a), lanes[0]!);
	}
	async function on<T>(lane: Lane, job: () => Promise<T>): Promise<T> {
		lane.busy++;
		try {
			return await job();
		} finally {
			lane.busy--;
			retireSpent();
		}
	}
	function retireSpent() {
		for (const lane of lanes.filter((l) => l.busy === 0 && l.parts >= PARTS_PER_WORKER)) lane.worker.terminate();
		lanes = lanes.filter((l) => l.busy > 0 || l.parts < PARTS_PER_WORKER);
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
					const result = await lane.api.readRange(job);
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
