import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { BodyBudget, readJsonBody } from '../../server/http/json-body';
import { startSealdrop, type RunningSealdrop } from '../../server/start';
import type { BlobLayout, BlobStore } from '../../server/stores/blob/types';
import { makeCertificate } from '../support/certificates';
import {
	b64,
	bearer,
	captureLogs,
	claim,
	createOnePartShare,
	createHarness,
	listeningConfig,
	openSocket,
	readyShare,
	tempDir,
	type Harness,
	type LogCapture
} from './helpers';

interface RawAnswer {
	status: number;
	headers: Record<string, string>;
	body: string;
}

/** Resolves with the first complete HTTP answer on the socket (head and Content-Length body). */
function rawAnswer(socket: Socket): Promise<RawAnswer> {
	return new Promise((resolve, reject) => {
		let buffered = Buffer.alloc(0);
		const parse = (): RawAnswer | undefined => {
			const end = buffered.indexOf('\r\n\r\n');
			if (end < 0) return undefined;
			const [statusLine = '', ...lines] = buffered.subarray(0, end).toString('latin1').split('\r\n');
			const headers: Record<string, string> = {};
			for (const line of lines) {
				const colon = line.indexOf(':');
				headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
			}
			const length = Number(headers['content-length'] ?? 0);
			if (buffered.length < end + 4 + length) return undefined;
			const body = buffered.subarray(end + 4, end + 4 + length).toString('utf8');
			return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body };
		};
		socket.on('data', (chunk: Buffer) => {
			buffered = Buffer.concat([buffered, chunk]);
			const answer = parse();
			if (answer) resolve(answer);
		});
		socket.on('error', () => {});
		socket.on('close', () => reject(new Error(`closed without a whole answer: ${JSON.stringify(buffered.toString('latin1'))}`)));
	});
}

describe('request bodies are read only once the request is authorised (real socket)', () => {
	let dir: string;
	let server: RunningSealdrop;
	let logs: LogCapture;
	const sockets: Socket[] = [];
	beforeAll(async () => {
		dir = await tempDir();
		logs = captureLogs();
		server = await startSealdrop(listeningConfig(dir), { logger: logs.logger });
	});
	afterAll(async () => {
		for (const socket of sockets) socket.destroy();
		await server.close();
		await rm(dir, { recursive: true, force: true });
	});

	/** A PATCH declaring a 1 MB body of which only its first bytes are sent. */
	async function patchWithoutBody(id: string): Promise<RawAnswer> {
		const socket = await openSocket(server.port);
		sockets.push(socket);
		const answer = rawAnswer(socket);
		socket.write(
			`PATCH /api/v1/shares/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${b64(randomBytes(32))}\r\n` +
				'Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"maxDownloads":'
		);
		return answer;
	}

	it('answers a PATCH with a wrong owner token at once, without waiting for its 1 MB body', async () => {
		const share = await createOnePartShare(server.url, 1000);
		const answer = await patchWithoutBody(share.id);
		expect(answer.status).toBe(403);
		expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'FORBIDDEN' } });

		const unknown = await patchWithoutBody(b64(randomBytes(16)));
		expect(unknown.status).toBe(404);
		expect(JSON.parse(unknown.body)).toMatchObject({ error: { code: 'NOT_FOUND' } });
	});
});

describe('a budget for JSON bodies buffered at once', () => {
	/** A JSON request whose body the test sends piece by piece. */
	function trickled(headers: Record<string, string> = {}) {
		let controller!: ReadableStreamDefaultController<Uint8Array>;
		const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
		const request = new Request('http://x/', {
			method: 'POST',
			body,
			headers: { 'content-type': 'application/json', ...headers },
			duplex: 'half'
		} as RequestInit);
		return { request, send: (text: string) => controller.enqueue(new TextEncoder().encode(text)), end: () => controller.close() };
	}
	const schema = z.object({ a: z.string() });

	it('refuses bodies past it with 503 UNAVAILABLE, and gives their bytes back when done', async () => {
		const budget = new BodyBudget(100);
		const first = trickled();
		const reading = readJsonBody(first.request, schema, 1000, budget);
		first.send(`{"a":"${'x'.repeat(60)}`);
		await vi.waitFor(() => expect(budget.inUse).toBe(66));

		// Declared too large for what is left: refused before reading.
		const declared = readJsonBody(trickled({ 'content-length': '50' }).request, schema, 1000, budget);
		await expect(declared).rejects.toMatchObject({ code: 'UNAVAILABLE', headers: { 'Retry-After': '5' } });
		// Chunked: refused when its bytes would pass the budget; the connection must close.
		const chunked = trickled();
		const refused = readJsonBody(chunked.request, schema, 1000, budget);
		chunked.send('x'.repeat(40));
		await expect(refused).rejects.toMatchObject({ code: 'UNAVAILABLE', headers: { Connection: 'close' } });
		expect(budget.inUse).toBe(66);

		first.send('"}');
		first.end();
		expect(await reading).toEqual({ a: 'x'.repeat(60) });
		expect(budget.inUse).toBe(0);
	});
});

describe.each([{ tls: false }, { tls: true }])('requests Node refuses itself get a JSON answer (real socket, tls: $tls)', ({ tls }) => {
	let dir: string;
	let server: RunningSealdrop;
	let ca: Buffer;
	const sockets: Socket[] = [];
	beforeAll(async () => {
		dir = await tempDir();
		let env = {};
		if (tls) {
			const files = await makeCertificate(dir);
			ca = await readFile(files.cert);
			env = { SEALDROP_TLS_CERT: files.cert, SEALDROP_TLS_KEY: files.key };
		}
		server = await startSealdrop(listeningConfig(dir, env), { logger: captureLogs().logger });
	});
	afterAll(async () => {
		for (const socket of sockets) socket.destroy();
		await server.close();
		await rm(dir, { recursive: true, force: true });
	});

	async function send(request: string | Buffer): Promise<RawAnswer> {
		const socket = tls ? tlsConnect({ port: server.port, host: '127.0.0.1', ca }) : connect(server.port, '127.0.0.1');
		sockets.push(socket);
		await new Promise<void>((resolve, reject) => {
			socket.once(tls ? 'secureConnect' : 'connect', () => resolve());
			socket.once('error', reject);
		});
		const answer = rawAnswer(socket);
		socket.write(request);
		return answer;
	}

	function expectDocumented(answer: RawAnswer, status: number, code: string): void {
		expect(answer.status).toBe(status);
		expect(answer.headers['content-type']).toBe('application/json');
		expect(JSON.parse(answer.body)).toEqual({ error: { code, message: expect.any(String) } });
		expect(answer.headers).toMatchObject({
			'x-content-type-options': 'nosniff',
			'referrer-policy': 'no-referrer',
			'x-frame-options': 'DENY',
			'cross-origin-resource-policy': 'same-origin',
			'cache-control': 'no-store',
			connection: 'close'
		});
		expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
		expect(answer.headers['strict-transport-security']).toBe(tls ? 'max-age=31536000' : undefined);
	}

	it('a malformed request line: 400 INVALID_REQUEST', async () => {
		expectDocumented(await send('NOT HTTP AT ALL\r\n\r\n'), 400, 'INVALID_REQUEST');
	});

	it('20 KB of headers: 431 HEADERS_TOO_LARGE', async () => {
		const headers = Array.from({ length: 200 }, (_, i) => `X-Filler-${i}: ${'y'.repeat(100)}\r\n`).join('');
		expectDocumented(await send(`GET /api/v1/config HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`), 431, 'HEADERS_TOO_LARGE');
	});

	it('a Content-Length that is not a number: 400 INVALID_REQUEST', async () => {
		const answer = await send('PATCH /api/v1/shares/AAAAAAAAAAAAAAAAAAAAAA HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 12abc\r\n\r\n{}');
		expectDocumented(answer, 400, 'INVALID_REQUEST');
		expect(JSON.parse(answer.body).error.message).toMatch(/^Content-Length/);
	});
});

describe('a blob that fails mid-transfer (real socket)', () => {
	let h: Harness;
	let server: ServerType;
	let url: string;
	const readBytesBeforeFailing = 3000;
	beforeAll(async () => {
		h = await createHarness({
			// Every call goes to the real store except read.
			wrapBlobs: (blobs): BlobStore => ({
				begin: blobs.begin.bind(blobs),
				putPart: blobs.putPart.bind(blobs),
				complete: blobs.complete.bind(blobs),
				delete: blobs.delete.bind(blobs),
				size: blobs.size.bind(blobs),
				read: async (layout: BlobLayout, start: number, end: number) => {
					const stream = await blobs.read(layout, start, end);
					const reader = stream.getReader();
					let sent = 0;
					// The store's first bytes, then a disk error.
					return new ReadableStream<Uint8Array>({
						async pull(controller) {
							if (sent >= readBytesBeforeFailing) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
							const { done, value } = await reader.read();
							if (done) return controller.close();
							const piece = value.subarray(0, readBytesBeforeFailing - sent);
							sent += piece.byteLength;
							controller.enqueue(piece);
						}
					});
				}
			})
		});
		await new Promise<void>((resolve) => {
			server = serve({ fetch: h.app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
				url = `http://127.0.0.1:${info.port}`;
				resolve();
			});
		});
	});
	afterAll(async () => {
		await new Promise((resolve) => server.close(resolve));
		await h.close();
	});

	it('cuts the connection before Content-Length, and logs the error as a JSON line', async () => {
		const share = await readyShare(h, { size: 10_000, partSize: 4096 });
		const { ticket } = await claim(h, share);
		const printed = vi.spyOn(console, 'error');
		const informed = vi.spyOn(console, 'info');
		try {
			const response = await fetch(`${url}/api/v1/shares/${share.id}/blob`, { headers: bearer(ticket) });
			expect(response.status).toBe(200);
			expect(response.headers.get('content-length')).toBe('10000');
			await expect(response.arrayBuffer()).rejects.toThrow();
			await vi.waitFor(() => expect(h.logs.lines.some((line) => line.msg === 'blob read failed mid-transfer')).toBe(true));
			const line = h.logs.lines.find((l) => l.msg === 'blob read failed mid-transfer');
			expect(line).toMatchObject({ level: 50, shareId: share.id, err: { code: 'EIO' } });
			expect(printed).not.toHaveBeenCalled();
			expect(informed).not.toHaveBeenCalled();
		} finally {
			printed.mockRestore();
			informed.mockRestore();
		}
	});
});
