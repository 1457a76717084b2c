/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// Streams decrypted downloads to the browser's download manager where the page cannot write to
// disk itself (Firefox, Safari, mobile): the page registers a download and feeds it through a
// MessagePort; a navigation to /_download/<id> gets a streamed attachment response. Its scope is
// /_download/ alone, so it controls no page and no other request passes through it. It also
// receives files shared from other apps (sw-share.ts) and hands them to the upload page.
import { portStream } from './lib/service-worker/sw-flow';
import { gone, previewMessage, previewResponse } from './lib/service-worker/sw-preview';
import { shareMessage, shareResponse } from './lib/service-worker/sw-share';
import { DOWNLOAD_PATH, type PageToWorker, type WorkerToPage } from './lib/service-worker/sw-protocol';

const sw = self as unknown as ServiceWorkerGlobalScope;

interface Pending {
	port: MessagePort;
	name: string;
	size: number;
}

const pending = new Map<string, Pending>();
/** Bytes the worker may hold before it stops asking the page for more (chunks are ≤ 1 MiB). */
const BUFFERED_BYTES = 4 << 20;
/** Chunks the page may send ahead of the stream's pulls (sw-flow.ts portStream): +3 MiB at most. */
const AHEAD_CHUNKS = 3;

sw.addEventListener('install', () => void sw.skipWaiting());

sw.addEventListener('message', (event) => {
	if (previewMessage(event.data, event.ports)) return; // media previews: src/lib/service-worker/sw-preview.ts
	if (shareMessage(event.data, event.ports)) return; // shared from another app: src/lib/service-worker/sw-share.ts
	const data = event.data as PageToWorker | undefined;
	if (data?.type !== 'register' || !event.ports[0]) return; // keep-alive pings need no answer
	const port = event.ports[0];
	pending.set(data.id, { port, name: data.name, size: data.size });
	port.postMessage({ type: 'registered' } satisfies WorkerToPage);
});

sw.addEventListener('fetch', (event) => {
	const url = new URL(event.request.url);
	if (url.origin !== sw.location.origin || !url.pathname.startsWith(DOWNLOAD_PATH)) return;
	const preview = previewResponse(url, event.request);
	if (preview) return event.respondWith(preview);
	const shared = shareResponse(url, event.request);
	if (shared) return event.respondWith(shared);
	const id = url.pathname.slice(DOWNLOAD_PATH.length).split('/')[0] ?? '';
	const download = pending.get(id);
	pending.delete(id);
	event.respondWith(download ? stream(download) : gone(event.request));
});

function stream({ port, name, size }: Pending): Response {
	const body = portStream(port, new ByteLengthQueuingStrategy({ highWaterMark: BUFFERED_BYTES }), AHEAD_CHUNKS);
	return new Response(body, {
		headers: {
			'Content-Type': 'application/octet-stream',
			'Content-Length': String(size),
			'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
			'X-Content-Type-Options': 'nosniff',
			'Content-Security-Policy': "default-src 'none'"
		}
	});
}
