// The one flow-control loop between the page and the service worker, used by downloads
// (sw-sink.ts, src/service-worker.ts) and media previews (preview.ts, sw-preview.ts): the worker
// asks for a chunk (`pull`) whenever its response stream has room, and the page sends one chunk
// per request, so the page decrypts no faster than the browser reads and memory stays bounded.
import type { SaveSink } from '../save/sinks';
import type { PageToWorker, WorkerToPage } from './sw-protocol';

/** Browsers stop an idle service worker after about 30 s; a message every 10 s keeps it alive. */
const KEEPALIVE_MS = 10_000;

/** Pings `worker` until the returned function is called, so that it outlives a long transfer. */
export function keepWorkerAlive(worker: ServiceWorker): () => void {
	const timer = setInterval(() => worker.postMessage({ type: 'keepalive' } satisfies PageToWorker), KEEPALIVE_MS);
	return () => clearInterval(timer);
}

/**
 * Worker side: a response body fed by the page through `port`, asking for the next chunk each
 * time the queue has room under `strategy`. An `abort` from the page errors the stream, so the
 * browser marks the download or the media failed: nothing partial looks complete. The port is
 * closed when the stream ends either way. `ahead` chunks are asked for at the start on top of the
 * stream's own pulls: the stream asks for one chunk at a time, so without them every chunk
 * waits a round trip to the page while the browser's reader may sit idle.
 */
export function portStream(port: MessagePort, strategy: QueuingStrategy<Uint8Array>, ahead = 0): ReadableStream<Uint8Array> {
	const post = (message: WorkerToPage) => port.postMessage(message);
	return new ReadableStream<Uint8Array>(
		{
			start(controller) {
				port.onmessage = (event: MessageEvent<PageToWorker>) => {
					const message = event.data;
					if (message.type === 'chunk') controller.enqueue(ownChunk(message.chunk));
					else if (message.type === 'end') {
						controller.close();
						port.close();
					} else if (message.type === 'abort') {
						controller.error(new Error(message.reason));
						port.close();
					}
				};
				for (let i = 0; i < ahead; i++) post({ type: 'pull' });
			},
			pull() {
				post({ type: 'pull' });
			},
			cancel() {
				// The browser stopped reading (download cancelled, media seeked or closed): stop decrypting.
				post({ type: 'cancel' });
				port.close();
			}
		},
		strategy
	);
}

/**
 * What the worker hands its response stream for a chunk from the page: a copy made in the
 * worker. Chromium's collector in the worker let the received buffers pile up (+265 MiB during a
 * 2 GiB download, rising with size, all freed by a forced collection); buffers the worker
 * allocates itself make it collect promptly, taking the received ones along (+79 MiB). One memcpy
 * per byte, which `npm run bench` does not see in the download rate.
 */
function ownChunk(chunk: Uint8Array): Uint8Array {
	return chunk.slice();
}

export interface PortSinkOptions {
	/** The AbortError's message when the worker cancels (the browser stopped reading). */
	cancelled: string;
	/** The reason sent to the worker when the transfer fails without an Error of its own. */
	failed: string;
	/** Runs after the end or an abort. */
	done?: () => void;
}

/**
 * Page side: a SaveSink that sends each chunk through `port` once the worker has asked for one.
 * After the worker's `cancel`, the next write fails with an AbortError. `registered` resolves on
 * the worker's `registered` (downloads wait for it before starting the response).
 */
export function portSink(port: MessagePort, options: PortSinkOptions): { sink: SaveSink; registered: Promise<void> } {
	let credits = 0;
	let cancelled = false;
	let wake: (() => void) | null = null;
	let onRegistered: () => void = () => {};
	const registered = new Promise<void>((resolve) => (onRegistered = resolve));
	port.onmessage = (event: MessageEvent<WorkerToPage>) => {
		const message = event.data;
		if (message.type === 'registered') onRegistered();
		else if (message.type === 'pull') credits++;
		else if (message.type === 'cancel') cancelled = true;
		wake?.();
		wake = null;
	};
	const send = (message: PageToWorker, transfer: Transferable[] = []) => port.postMessage(message, transfer);
	const finish = () => {
		port.close();
		options.done?.();
	};
	const sink: SaveSink = {
		async write(chunk) {
			while (credits === 0 && !cancelled) await new Promise<void>((resolve) => (wake = resolve));
			if (cancelled) throw new DOMException(options.cancelled, 'AbortError');
			credits--;
			// Transferred, not copied, where the chunk is its whole buffer (SaveSink lets a sink take it).
			const own = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice();
			send({ type: 'chunk', chunk: own }, [own.buffer as ArrayBuffer]);
		},
		async close() {
			send({ type: 'end' });
			finish();
		},
		async abort(reason) {
			if (!cancelled) send({ type: 'abort', reason: reason instanceof Error ? reason.message : options.failed });
			finish();
		}
	};
	return { sink, registered };
}
