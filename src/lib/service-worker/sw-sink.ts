import { dev } from '$app/environment';
import { toBase64Url } from '../crypto';
import type { SaveSink } from '../save/sinks';
import { keepWorkerAlive, portSink } from './sw-flow';
import { DOWNLOAD_PATH, type PageToWorker, type SharedItems, type SharePageToWorker } from './sw-protocol';

let registration: Promise<ServiceWorker | null> | null = null;

/**
 * Registers the download service worker (once) and resolves to it when active, or to null where
 * browsers have none. Call early (page load) so that it is ready when the user clicks.
 */
export function downloadWorker(timeoutMs = 5000): Promise<ServiceWorker | null> {
	if (!('serviceWorker' in navigator) || !window.isSecureContext) return Promise.resolve(null);
	registration ??= navigator.serviceWorker
		.register('/service-worker.js', { scope: DOWNLOAD_PATH, type: dev ? 'module' : 'classic' })
		.then(activeWorker)
		.catch(() => null);
	const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs));
	return Promise.race([registration, timeout]);
}

/**
 * What another app shared into Sealdrop (Web Share Target, sw-share.ts), taken from the worker
 * that received it; null if there is nothing (any more), or no worker answers.
 */
export async function takeShared(timeoutMs = 5000): Promise<SharedItems | null> {
	const worker = await downloadWorker(timeoutMs);
	if (!worker) return null;
	const channel = new MessageChannel();
	const answer = new Promise<SharedItems | null>((resolve) => {
		channel.port1.onmessage = (event: MessageEvent<SharedItems | null>) => resolve(event.data);
		setTimeout(() => resolve(null), timeoutMs);
	});
	worker.postMessage({ type: 'share-take' } satisfies SharePageToWorker, [channel.port2]);
	const items = await answer;
	channel.port1.close();
	return items;
}

function activeWorker(reg: ServiceWorkerRegistration): Promise<ServiceWorker> {
	return new Promise((resolve) => {
		if (reg.active) return resolve(reg.active);
		const pending = (reg.installing ?? reg.waiting)!;
		pending.addEventListener('statechange', () => {
			if (pending.state === 'activated') resolve(pending);
		});
	});
}

/**
 * Streams a file to the browser's own download manager through the service worker, so that a
 * file of any size is saved without being held in memory. The browser shows the download
 * immediately and fails it if `abort` is called.
 */
export async function serviceWorkerSink(worker: ServiceWorker, name: string, size: number): Promise<SaveSink> {
	const id = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
	const channel = new MessageChannel();
	const frame = document.createElement('iframe');
	let stopKeepalive = () => {};
	const { sink, registered } = portSink(channel.port1, {
		cancelled: 'The download was cancelled in the browser.',
		failed: 'Download failed',
		done() {
			stopKeepalive();
			// The download manager owns the stream by now; the frame only has to outlive the last chunk.
			setTimeout(() => frame.remove(), 60_000);
		}
	});
	worker.postMessage({ type: 'register', id, name, size } satisfies PageToWorker, [channel.port2]);
	await registered;

	frame.hidden = true;
	frame.title = 'download';
	// Only a random id in the URL: were the worker ever bypassed, the server would see no name.
	frame.src = `${DOWNLOAD_PATH}${id}`;
	document.body.append(frame);
	stopKeepalive = keepWorkerAlive(worker);
	return sink;
}
