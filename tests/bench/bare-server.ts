import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * A service worker that answers /_pass/<name> by fetching /file/<name> and streaming it on as a
 * download: the same bytes, unencrypted, taking the way a page's save takes (through a renderer
 * and a service worker into the download manager) rather than the download manager's own.
 */
const PASSTHROUGH_WORKER = `
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
	const url = new URL(event.request.url);
	if (!url.pathname.startsWith('/_pass/')) return;
	event.respondWith(fetch('/file/' + url.pathname.slice(7)).then((res) => new Response(res.body, {
		headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': res.headers.get('Content-Length'),
			'Content-Disposition': 'attachment; filename="passthrough.bin"' }
	})));
});`;

/**
 * The yardstick: a bare Node HTTP server that only writes request bodies to disk and serves a
 * file from disk. What the browser reaches against it is the most the real transfer could reach.
 */
export async function startBareServer(dir: string): Promise<{ url: string; close(): Promise<void> }> {
	const server: Server = createServer(async (req, res) => {
		try {
			if (req.method === 'PUT' && req.url === '/upload') {
				const out = createWriteStream(join(dir, 'bare-upload.bin'));
				await pipeline(req, out);
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
			} else if (req.method === 'GET' && req.url === '/passthrough.js') {
				res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(PASSTHROUGH_WORKER);
			} else {
				res.writeHead(404).end();
			}
		} catch (err) {
			if (!res.headersSent) res.writeHead(500);
			res.end(String(err));
		}
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		close: () => new Promise((resolve) => server.close(() => resolve()))
	};
}
