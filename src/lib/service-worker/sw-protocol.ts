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

/**
 * Web Share Target (static/manifest.webmanifest): another app's "share" POSTs files and text to
 * SHARE_PATH, inside this worker's scope; the worker answers 303 to SHARED_PAGE, whose page asks
 * for them once with `share-take` and a port, answered with one SharedItems (or null).
 */
export const SHARE_PATH = `${DOWNLOAD_PATH}share`;
export const SHARED_PAGE = '/?shared';

export type SharePageToWorker = { type: 'share-take' };

/** What was shared: the form's File objects as the browser made them (disk-backed), and the text as one note. */
export interface SharedItems {
	files: File[];
	note: string;
}
