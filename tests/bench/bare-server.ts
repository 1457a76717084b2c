import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { YARDSTICK_WORKER } from './yardsticks.ts';

/**
 * A service worker that streams /file/<name> on as a download: the same bytes taking the way a
 * page's save takes (through a renderer and a service worker into the download manager) rather
 * than the download manager's own. /_sw/pass/<name> passes them through untouched. /_sw/aes/<name>
 * also runs them through AES-256-GCM in 64 KiB records, 1 MiB batches, up to 4 batches ahead: the
 * fewest steps any decrypting save could take (fetch, one AES pass, save; encrypting costs what
 * decrypting does). It saves each record's ciphertext without its tag, so the size stays the same.
 */
const SAVING_WORKER = `
const RECORD = 65536;
const BATCH = 16 * RECORD;
const AHEAD = 4;
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
	const [, prefix, mode, name] = new URL(event.request.url).pathname.split('/');
	if (prefix !== '_sw') return;
	event.respondWith((async () => {
		const res = await fetch('/file/' + name);
		const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': res.headers.get('Content-Length'),
			'Content-Disposition': 'attachment; filename="' + mode + '.bin"' };
		if (mode === 'pass') return new Response(res.body, { headers });
		const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
		const iv = new Uint8Array(12);
		const reader = res.body.getReader();
		let ended = false;
		const readBatch = async () => {
			const chunks = [];
			let size = 0;
			while (size < BATCH) {
				const { done, value } = await reader.read();
				if (done) break;
				chunks.push(value);
				size += value.byteLength;
			}
			if (size === 0) return null;
			const batch = new Uint8Array(size);
			let at = 0;
			for (const chunk of chunks) { batch.set(chunk, at); at += chunk.byteLength; }
			return batch;
		};
		const seal = async (batch) => {
			const records = [];
			for (let i = 0; i < batch.byteLength; i += RECORD) records.push(batch.subarray(i, i + RECORD));
			const sealed = await Promise.all(records.map((r) => crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, r)));
			return sealed.map((c, i) => new Uint8Array(c, 0, records[i].byteLength));
		};
		// Up to AHEAD batches read and sealing while the download manager takes the oldest.
		const sealing = [];
		return new Response(new ReadableStream({
			async pull(controller) {
				while (sealing.length < AHEAD && !ended) {
					const batch = await readBatch();
					if (!batch) ended = true;
					else sealing.push(seal(batch));
				}
				const next = sealing.shift();
				if (!next) return controller.close();
				for (const record of await next) controller.enqueue(record);
			}
		}, { highWaterMark: 0 }), { headers });
	})());
});`;

/**
 * The yardstick: a bare Node HTTP server that only writes request bodies to disk and serves a
 * file from disk. What the browser reaches against it is the most the real transfer could reach.
 */
export async function startBareServer(dir: string): Promise<{ url: string; close(): Promise<void> }> {
	const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		try {
			if (req.method === 'PUT' && req.url === '/upload') {
				const out = createWriteStream(join(dir, 'bare-upload.bin'));
				await pipeline(req, out);
				res.writeHead(200).end('ok');
			} else if (req.method === 'PUT' && /^\/part\/\d$/.test(req.url ?? '')) {
				// A yardstick's part (yardsticks.ts): written to disk as a part store would.
				await pipeline(req, createWriteStream(join(dir, `bare-part-${req.url!.slice(6)}.bin`)));
				res.writeHead(200).end('ok');
			} else if (req.method === 'GET' && req.url?.startsWith('/file/')) {
				const path = join(dir, decodeURIComponent(req.url.slice('/file/'.length)));
				const { size } = await stat(path);
				res.writeHead(200, {
					'Content-Type': 'application/octet-stream',
					'Content-Length': String(size),
					'Content-Disposition': 'attachment; filename="bare.bin"'
				});
				await pipeline(createReadStream(path), res);
			} else if (req.method === 'GET' && req.url === '/') {
				res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><input type="file">');
			} else if (req.method === 'GET' && req.url === '/yardstick-worker.js') {
				res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(YARDSTICK_WORKER);
			} else if (req.method === 'GET' && req.url === '/saving-worker.js') {
				res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(SAVING_WORKER);
			} else {
				res.writeHead(404).end();
			}
		} catch (err) {
			if (!res.headersSent) res.writeHead(500);
			res.end(String(err));
		}
	};
	const server: Server = createServer((req, res) => void handle(req, res));
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		close: () => new Promise((resolve) => server.close(() => resolve()))
	};
}
