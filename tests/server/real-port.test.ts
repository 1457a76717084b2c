import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSealdrop, type RunningSealdrop } from '../../server/start';
import type { ClaimResponse, CreateShareResponse } from '../../src/lib/api/types';
import { b64, bearer, captureLogs, createBody, listFiles, sha256, listeningConfig, tempDir, testConfig, type LogCapture } from './helpers';

const MiB = 1024 * 1024;

/** The real server on 127.0.0.1:0 with the real part limits (5 MiB minimum), over real HTTP. */
describe('over a real port', () => {
	let dir: string;
	let server: RunningSealdrop;
	let logs: LogCapture;
	beforeAll(async () => {
		dir = await tempDir();
		// Debug: the line each request ends with tells a test when the server is done with it.
		logs = captureLogs('debug');
		server = await startSealdrop(listeningConfig(dir), {
			logger: logs.logger
		});
	});
	afterAll(async () => {
		await server.close();
		await rm(dir, { recursive: true, force: true });
	});

	const api = (path: string, init?: RequestInit) => fetch(`${server.url}/api/v1${path}`, init);
	const blobDir = () => join(server.config.dataDir, 'blobs');

	async function create(size: number, partSize: number, maxDownloads = 1) {
		const tokens = { owner: randomBytes(32), read: randomBytes(32) };
		const response = await api('/shares', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(createBody({ size, partSize, maxDownloads }, tokens))
		});
		expect(response.status).toBe(201);
		const created = (await response.json()) as CreateShareResponse;
		return { ...created, owner: b64(tokens.owner), read: b64(tokens.read), bytes: randomBytes(size), partSize };
	}
	type Share = Awaited<ReturnType<typeof create>>;
	const put = (share: Share, n: number, body: BodyInit, extra: RequestInit = {}) =>
		api(`/shares/${share.id}/parts/${n}`, { method: 'PUT', body, headers: bearer(share.owner), ...extra });
	const part = (share: Share, n: number) => share.bytes.subarray(n * share.partSize, (n + 1) * share.partSize);

	it('reports the bound port', () => {
		expect(server.port).toBeGreaterThan(0);
		expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
	});

	it('streams parts in parallel, then serves the blob whole and by Range', async () => {
		const share = await create(5 * MiB * 2 + 300 * 1024, 5 * MiB);
		expect(share.parts).toBe(3);
		const uploads = await Promise.all([2, 1, 0, 1].map((n) => put(share, n, part(share, n))));
		for (const response of uploads) expect(response.status).toBe(200);
		expect((await api(`/shares/${share.id}/complete`, { method: 'POST', headers: bearer(share.owner) })).status).toBe(200);

		const { ticket } = (await (
			await api(`/shares/${share.id}/claim`, { method: 'POST', headers: bearer(share.read) })
		).json()) as ClaimResponse;
		const whole = await api(`/shares/${share.id}/blob`, { headers: bearer(ticket) });
		expect(whole.status).toBe(200);
		expect(whole.headers.get('content-length')).toBe(String(share.bytes.length));
		expect(sha256(Buffer.from(await whole.arrayBuffer())).equals(sha256(share.bytes))).toBe(true);

		const start = 5 * MiB - 10;
		const end = 10 * MiB + 10; // inclusive; crosses both part boundaries
		const ranged = await api(`/shares/${share.id}/blob`, { headers: { ...bearer(ticket), range: `bytes=${start}-${end}` } });
		expect(ranged.status).toBe(206);
		expect(ranged.headers.get('content-range')).toBe(`bytes ${start}-${end}/${share.bytes.length}`);
		expect(Buffer.from(await ranged.arrayBuffer()).equals(share.bytes.subarray(start, end + 1))).toBe(true);

		const outside = await api(`/shares/${share.id}/blob`, { headers: { ...bearer(ticket), range: `bytes=${share.bytes.length}-` } });
		expect(outside.status).toBe(416);
		expect(outside.headers.get('content-range')).toBe(`bytes */${share.bytes.length}`);
		await outside.body?.cancel();

		// An interrupted download: the reader goes away after the first bytes, the server carries on.
		const controller = new AbortController();
		const partial = await api(`/shares/${share.id}/blob`, { headers: bearer(ticket), signal: controller.signal });
		const reader = partial.body?.getReader();
		await reader?.read();
		controller.abort();
		expect((await api('/config')).status).toBe(200);
	});

	it('stops an over-long streamed part with 413 and keeps nothing', async () => {
		const share = await create(6 * MiB, 5 * MiB);
		let sent = 0;
		const endless = new ReadableStream<Uint8Array>({
			pull(controller) {
				if (sent > 64 * MiB) return controller.close();
				sent += 256 * 1024;
				controller.enqueue(new Uint8Array(256 * 1024));
			}
		});
		const response = await put(share, 0, endless, { duplex: 'half' } as RequestInit);
		expect(response.status).toBe(413);
		// The rest of the body is still on the wire: the connection must not be reused.
		expect(response.headers.get('connection')).toBe('close');
		expect(await response.json()).toMatchObject({ error: { code: 'TOO_LARGE' } });
		expect(sent).toBeLessThan(20 * MiB);
		expect((await listFiles(blobDir())).filter((f) => f.includes(share.id) && !f.endsWith('.upload'))).toEqual([]);
		expect((await listFiles(blobDir())).filter((f) => f.startsWith('.tmp'))).toEqual([]);
	});

	it('refuses a body whose Content-Length is wrong, before reading it', async () => {
		const share = await create(6 * MiB, 5 * MiB);
		const longer = await put(share, 1, randomBytes(MiB + 1));
		expect(longer.status).toBe(413);
		// Refused unread: the server drains it and keeps the connection for the next request.
		expect(longer.headers.get('connection')).not.toBe('close');
		const shorter = await put(share, 0, randomBytes(5 * MiB - 1));
		expect(shorter.status).toBe(400);
		expect(await shorter.json()).toMatchObject({ error: { code: 'PART_SIZE_MISMATCH' } });
		expect((await listFiles(blobDir())).filter((f) => f.startsWith(`${share.id}.upload/`))).toEqual([]);
	});

	it('answers 400 to a streamed part that ends short', async () => {
		const share = await create(6 * MiB, 5 * MiB);
		const short = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new Uint8Array(MiB));
				controller.close();
			}
		});
		const response = await put(share, 0, short, { duplex: 'half' } as RequestInit);
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ error: { code: 'PART_SIZE_MISMATCH' } });
	});

	it('keeps nothing of an upload the client abandons mid-part', async () => {
		const share = await create(6 * MiB, 5 * MiB);
		const controller = new AbortController();
		let sent = 0;
		const body = new ReadableStream<Uint8Array>({
			pull(stream) {
				// Hung up: send nothing more (a pull that enqueues nothing is not called again).
				if (controller.signal.aborted) return;
				sent += 64 * 1024;
				stream.enqueue(new Uint8Array(64 * 1024));
				if (sent >= MiB) controller.abort();
			}
		});
		// The server is done with the part (and has removed what it wrote) once it logs its end.
		const ended = logs.nextLine((line) => line.msg === 'request' && line.method === 'PUT', 'the end of the abandoned PUT');
		await expect(put(share, 0, body, { duplex: 'half', signal: controller.signal } as RequestInit)).rejects.toThrow();
		expect((await ended).status).toBe(400);
		expect((await listFiles(blobDir())).filter((f) => f.startsWith('.tmp/') || f.startsWith(`${share.id}.upload/`))).toEqual([]);
		expect((await put(share, 1, randomBytes(MiB))).status).toBe(200);
	});

	it('50 truly concurrent claims on a limit-5 share give exactly 5 tickets', async () => {
		const share = await create(1000, 1000, 5);
		expect((await put(share, 0, share.bytes)).status).toBe(200);
		expect((await api(`/shares/${share.id}/complete`, { method: 'POST', headers: bearer(share.owner) })).status).toBe(200);
		const responses = await Promise.all(
			Array.from({ length: 50 }, () => api(`/shares/${share.id}/claim`, { method: 'POST', headers: bearer(share.read) }))
		);
		const bodies = (await Promise.all(responses.map((r) => r.json()))) as { ticket?: string; error?: { code: string } }[];
		expect(responses.filter((r) => r.status === 200)).toHaveLength(5);
		expect(bodies.filter((b) => b.error?.code === 'DOWNLOAD_LIMIT_REACHED')).toHaveLength(45);
		expect(new Set(bodies.map((b) => b.ticket).filter(Boolean)).size).toBe(5);
	});

	it('never logged an error', () => {
		expect(logs.lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
	});
});

describe('startSealdrop', () => {
	it('closes cleanly and frees its port', async () => {
		const dir = await tempDir();
		try {
			const config = testConfig(dir, { SEALDROP_PORT: '0' });
			const server = await startSealdrop(config, { logger: captureLogs().logger });
			expect((await fetch(`${server.url}/api/v1/config`)).status).toBe(200);
			const idle = await fetch(`${server.url}/`); // keep-alive connection left open
			expect(idle.status).toBe(503);
			await server.close();
			await server.close(); // idempotent
			await expect(fetch(`${server.url}/api/v1/config`)).rejects.toThrow();
			// Same data, same port: a restart.
			const again = await startSealdrop({ ...config, port: server.port }, { logger: captureLogs().logger });
			expect(again.port).toBe(server.port);
			await again.close();
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});

	it('fails clearly when the port is taken', async () => {
		const dir = await tempDir();
		const first = await startSealdrop(testConfig(dir, { SEALDROP_PORT: '0' }), { logger: captureLogs().logger });
		try {
			await expect(startSealdrop({ ...testConfig(dir), port: first.port }, { logger: captureLogs().logger })).rejects.toMatchObject({
				code: 'EADDRINUSE'
			});
		} finally {
			await first.close();
			await rm(dir, { recursive: true, force: true });
		}
	});
});
