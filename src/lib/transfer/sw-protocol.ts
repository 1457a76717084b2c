/** Messages between the page and the download service worker (src/service-worker.ts). */
export const DOWNLOAD_PATH = '/_download/';

export type PageToWorker =
	| { type: 'register'; id: string; name: string; size: number }
	| { type: 'chunk'; chunk: Uint8Array }
	| { type: 'end' }
	| { type: 'abort'; reason: string }
	| { type: 'keepalive' };

export type WorkerToPage = { type: 'registered' } | { type: 'pull' } | { type: 'cancel' };
