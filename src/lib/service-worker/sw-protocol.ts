/** Messages between the page and the download service worker (src/service-worker.ts). */
export const DOWNLOAD_PATH = '/_download/';

export type PageToWorker =
	| { type: 'register'; id: string; name: string; size: number }
	| { type: 'chunk'; chunk: Uint8Array }
	| { type: 'end' }
	| { type: 'abort'; reason: string }
	| { type: 'keepalive' };

export type WorkerToPage = { type: 'registered' } | { type: 'pull' } | { type: 'cancel' };

/**
 * Media previews (src/lib/preview/preview.ts, src/lib/service-worker/sw-preview.ts): a frame at
 * PREVIEW_PATH<id>/ holds an <audio> or <video> whose source PREVIEW_PATH<id>/media the worker
 * answers Range by Range, asking the page for each range's decrypted bytes.
 */
export const PREVIEW_PATH = `${DOWNLOAD_PATH}preview/`;

export type PreviewPageToWorker =
	| { type: 'preview-register'; id: string; kind: 'audio' | 'video'; mime: string; size: number; title: string }
	| { type: 'preview-close'; id: string };

/** Worker → page on a preview's port; `port` (transferred) carries that range's bytes as PageToWorker chunk/end/abort. */
export type PreviewWorkerToPage = { type: 'registered' } | { type: 'range'; start: number; end: number };
