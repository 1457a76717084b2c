import { toBase64Url } from '../crypto/base64url';
import type { FileEntry } from '../crypto/metadata';
import type { DownloadSession } from '../transfer/download';
import type { SaveSink } from '../save/sinks';
import { keepWorkerAlive, portSink } from '../service-worker/sw-flow';
import { PREVIEW_PATH, type PreviewPageToWorker, type PreviewWorkerToPage } from '../service-worker/sw-protocol';
import { TEXT_LIMIT } from './preview';

/** Reading a file for its preview (preview.ts says which files have one); loaded with the first preview or note. */

/** Collects decrypted bytes in memory. */
function memoryCollector(): { sink: SaveSink; parts: Uint8Array<ArrayBuffer>[] } {
	const parts: Uint8Array<ArrayBuffer>[] = [];
	return {
		parts,
		sink: { write: async (chunk) => void parts.push(chunk.slice()), close: async () => {}, abort: async () => {} }
	};
}

/** An image as a blob: URL of the allow-listed type; revoke it when done. */
export async function imagePreview(session: DownloadSession, file: FileEntry, mime: string): Promise<string> {
	const { sink, parts } = memoryCollector();
	await session.save(file.offset, file.offset + file.size, sink);
	return URL.createObjectURL(new Blob(parts, { type: mime }));
}

/** The whole file in one buffer (a PDF for pdf.js); the caller keeps it within PDF_LIMIT. */
export async function fileBytes(session: DownloadSession, file: FileEntry): Promise<Uint8Array<ArrayBuffer>> {
	const bytes = new Uint8Array(file.size);
	let at = 0;
	const sink: SaveSink = {
		async write(chunk) {
			// The session checks lengths against the authenticated layout; this only guards the copy.
			if (at + chunk.byteLength > bytes.byteLength) throw new RangeError('More bytes than the file holds.');
			bytes.set(chunk, at);
			at += chunk.byteLength;
		},
		close: async () => {},
		abort: async () => {}
	};
	await session.save(file.offset, file.offset + file.size, sink);
	return bytes;
}

/** The first TEXT_LIMIT bytes as text (invalid UTF-8 shown as U+FFFD); `truncated` if there is more. */
export async function textPreview(session: DownloadSession, file: FileEntry): Promise<{ text: string; truncated: boolean }> {
	const length = Math.min(file.size, TEXT_LIMIT);
	const { sink, parts } = memoryCollector();
	await session.save(file.offset, file.offset + length, sink);
	const text = new TextDecoder('utf-8').decode(await new Blob(parts).arrayBuffer());
	return { text, truncated: length < file.size };
}

export interface MediaPreview {
	/** Load this in <iframe sandbox="allow-same-origin"> (no scripts). */
	url: string;
	close(): void;
}

/**
 * Registers a media preview with the service worker and serves the ranges its media element
 * asks for, each through the session (Range requests to the server for just those records).
 */
export async function mediaPreview(
	worker: ServiceWorker,
	session: DownloadSession,
	file: FileEntry,
	kind: 'audio' | 'video',
	mime: string
): Promise<MediaPreview> {
	const id = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
	const channel = new MessageChannel();
	const port = channel.port1;
	const registered = new Promise<void>((resolve) => {
		port.onmessage = (event: MessageEvent<PreviewWorkerToPage>) => {
			const message = event.data;
			if (message.type === 'registered') resolve();
			else if (message.type === 'range' && event.ports[0]) serveRange(session, file, message.start, message.end, event.ports[0]);
		};
	});
	const register: PreviewPageToWorker = { type: 'preview-register', id, kind, mime, size: file.size, title: file.name };
	worker.postMessage(register, [channel.port2]);
	await registered;
	const stopKeepalive = keepWorkerAlive(worker);
	return {
		url: `${PREVIEW_PATH}${id}/`,
		close() {
			stopKeepalive();
			worker.postMessage({ type: 'preview-close', id } satisfies PreviewPageToWorker);
			port.close();
		}
	};
}

/** Decrypts plaintext bytes [start, end) of `file` into `port`, as fast as the worker reads them. */
function serveRange(session: DownloadSession, file: FileEntry, start: number, end: number, port: MessagePort): void {
	const { sink } = portSink(port, { cancelled: 'The preview stopped reading.', failed: 'Preview failed' });
	session.save(file.offset + start, file.offset + end, sink).catch(() => {
		// A seek cancels the range it replaces; a real failure shows as a media error in the frame.
	});
}
