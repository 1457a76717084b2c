/**
 * The server-scale yardstick, run as its own process (`node --import tsx bare-io-server.ts <dir>`)
 * as Sealdrop's server is: the same disk I/O with nothing else. `PUT /file/<name>` streams the
 * request body into `<dir>/<name>` (`?durable`: and flushes it to the disk before answering, as
 * Sealdrop does before it acknowledges a part), `GET /file/<name>` streams that file back,
 * `DELETE /file/` removes every file, `GET /ping` answers `{}` (the latency yardstick). Prints `listening <port>` when ready.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const dir = process.argv[2]!;
await mkdir(dir, { recursive: true });

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
	try {
		const url = new URL(req.url ?? '/', 'http://bare');
		const name = url.pathname.startsWith('/file/') ? decodeURIComponent(url.pathname.slice('/file/'.length)) : undefined;
		if (url.pathname === '/ping') {
			// The latency yardstick: the smallest answer this server can give.
			res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
		} else if (name === undefined || name.includes('/')) {
			res.writeHead(404).end();
		} else if (req.method === 'PUT') {
			await pipeline(req, createWriteStream(join(dir, name)));
			if (url.searchParams.has('durable')) {
				const handle = await open(join(dir, name), 'r+');
				await handle.datasync();
				await handle.close();
			}
			res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
		} else if (req.method === 'GET') {
			const path = join(dir, name);
			const { size } = await stat(path);
			res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) });
			await pipeline(createReadStream(path), res);
		} else if (req.method === 'DELETE' && name === '') {
			await rm(dir, { recursive: true, force: true });
			await mkdir(dir, { recursive: true });
			res.writeHead(204).end();
		} else {
			res.writeHead(405).end();
		}
	} catch (err) {
		if (!res.headersSent) res.writeHead(500);
		res.end(String(err));
	}
}

const server = createServer((req, res) => void handle(req, res));
// Longer than a loaded machine keeps a client's pooled connection idle: with Node's 5 s the server
// sometimes closed one just as the client reused it ("other side closed"), failing the run.
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
