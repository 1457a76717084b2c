/// <reference lib="webworker" />
// Service-worker side of media previews: serves a small frame document and, for its media
// element, every byte range it asks for, streamed from the page that decrypts it. Imported by
// src/service-worker.ts; runs only there.
import { parseByteRange } from '../byte-range';
import { portStream } from './sw-flow';
import { PREVIEW_PATH, type PreviewPageToWorker, type PreviewWorkerToPage } from './sw-protocol';

interface Preview {
	port: MessagePort;
	kind: 'audio' | 'video';
	mime: string;
	size: number;
	title: string;
}

const previews = new Map<string, Preview>();
/** Chunks (about 1 MiB each) buffered per range before the worker asks the page for more. */
const BUFFERED_CHUNKS = 4;
/** Only media types reach the media element; anything else would be sniffed or refused. */
const MEDIA_TYPE = /^(audio|video)\/[a-z0-9.+-]+$/i;

/** Handles a preview message from the page; false if the message is not about previews. */
export function previewMessage(data: unknown, ports: readonly MessagePort[]): boolean {
	const message = data as PreviewPageToWorker | undefined;
	if (message?.type === 'preview-register' && ports[0]) {
		const mime = MEDIA_TYPE.test(message.mime) ? message.mime : 'application/octet-stream';
		previews.set(message.id, { port: ports[0], kind: message.kind, mime, size: message.size, title: message.title });
		ports[0].postMessage({ type: 'registered' } satisfies PreviewWorkerToPage);
		return true;
	}
	if (message?.type === 'preview-close') {
		previews.get(message.id)?.port.close();
		previews.delete(message.id);
		return true;
	}
	return false;
}

/** The response for a preview URL, or null if `url` is not one. */
export function previewResponse(url: URL, request: Request): Promise<Response> | null {
	if (!url.pathname.startsWith(PREVIEW_PATH)) return null;
	const [id = '', part = ''] = url.pathname.slice(PREVIEW_PATH.length).split('/');
	const preview = previews.get(id);
	if (!preview) return Promise.resolve(gone(request));
	if (part === '') return frameDocument(preview);
	if (part === 'media') return Promise.resolve(mediaResponse(preview, request.headers.get('range')));
	return Promise.resolve(gone(request));
}

/**
 * The answer for a download or preview that has ended. Nothing here speaks a language (this
 * worker cannot know the page's): a person who opens such a URL in a tab is sent to the start
 * page; a preview frame shows an empty document, as the page around it says what happened;
 * the rest (download manager, media element) only read the status.
 */
export function gone(request: Request): Response {
	if (request.mode === 'navigate' && request.destination === 'document') return Response.redirect(new URL('/', request.url).href, 303);
	if (request.destination === 'iframe') {
		return new Response('<!doctype html><title></title>', {
			status: 404,
			headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': "default-src 'none'" }
		});
	}
	return new Response(null, { status: 404 });
}

const FRAME_STYLE =
	'html,body{margin:0;height:100%;background:#000;display:grid;place-items:center}audio,video{width:100%;max-height:100%}';

/** A script-free document holding the media element; its CSP allows its own style and media only. */
async function frameDocument(preview: Preview): Promise<Response> {
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(FRAME_STYLE));
	const hash = btoa(String.fromCharCode(...new Uint8Array(digest)));
	const element =
		preview.kind === 'video'
			? '<video controls preload="metadata" src="media"></video>'
			: '<audio controls preload="metadata" src="media"></audio>';
	const html = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(preview.title)}</title><style>${FRAME_STYLE}</style></head><body>${element}</body></html>`;
	return new Response(html, {
		headers: {
			'Content-Type': 'text/html; charset=utf-8',
			'Content-Security-Policy': `default-src 'none'; media-src 'self'; style-src 'sha256-${hash}'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'`,
			'X-Content-Type-Options': 'nosniff',
			'Referrer-Policy': 'no-referrer',
			'Cache-Control': 'no-store'
		}
	});
}

/** The bytes [start, end) to serve for a media element's Range, or null if unsatisfiable (416). */
export function mediaRange(header: string | null, size: number): { start: number; end: number; partial: boolean } | null {
	const range = parseByteRange(header, size);
	if (range.kind === 'unsatisfiable') return null;
	if (range.kind === 'partial') return { start: range.start, end: range.end, partial: true };
	// No Range, or one to ignore: malformed, or several (media elements ask for one; HTTP lets a
	// server answer several with the whole resource).
	return { start: 0, end: size, partial: false };
}

/** 206 for one satisfiable range (200 for the whole file), streamed from the page. */
function mediaResponse(preview: Preview, rangeHeader: string | null): Response {
	const { size } = preview;
	const range = mediaRange(rangeHeader, size);
	if (!range) {
		return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${size}` } });
	}
	const { start, end } = range; // end exclusive
	const channel = new MessageChannel();
	const body = portStream(channel.port1, new CountQueuingStrategy({ highWaterMark: BUFFERED_CHUNKS }));
	preview.port.postMessage({ type: 'range', start, end } satisfies PreviewWorkerToPage, [channel.port2]);
	const headers: Record<string, string> = {
		'Content-Type': preview.mime,
		'Content-Length': String(end - start),
		'Accept-Ranges': 'bytes',
		'X-Content-Type-Options': 'nosniff',
		'Content-Security-Policy': "default-src 'none'",
		'Cache-Control': 'no-store'
	};
	if (!range.partial) return new Response(body, { status: 200, headers });
	return new Response(body, { status: 206, headers: { ...headers, 'Content-Range': `bytes ${start}-${end - 1}/${size}` } });
}

function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
