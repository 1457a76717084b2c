import { readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpServerOptions } from '../../server/http/timeouts';
import { startSealdrop, type RunningSealdrop } from '../../server/start';
import type { PartsStatus } from '../../src/lib/api/types';
import { bearer, captureLogs, createOnePartShare, listeningConfig, openSocket, tempDir, type OnePartShare } from './helpers';

const KiB = 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Upload {
	write(bytes: Uint8Array): Promise<void>;
	end(bytes?: Uint8Array): void;
	/** The answer, or how the connection ended without one. */
	result: Promise<{ status: number; body: string } | { cut: string }>;
}

/** The parts the server has of `share`. */
async function receivedParts(baseUrl: string, share: OnePartShare): Promise<number[]> {
	const response = await fetch(`${baseUrl}/api/v1/shares/${share.id}/parts`, { headers: bearer(share.owner) });
	return ((await response.json()) as PartsStatus).received;
}

/** A part PUT whose body the test sends piece by piece over its own connection. */
function openUpload(url: string, token: string, length: number): Upload {
	const req = request(url, {
		method: 'PUT',
		agent: false,
		headers: { authorization: `Bearer ${token}`, 'content-length': String(length), 'content-type': 'application/octet-stream' }
	});
	const result = new Promise<{ status: number; body: string } | { cut: string }>((resolve) => {
		req.on('response', (res) => {
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (chunk: string) => (body += chunk));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
		});
		req.on('error', (error: NodeJS.ErrnoException) => resolve({ cut: error.code ?? error.message }));
	});
	return {
		write: (bytes) => new Promise<void>((resolve, reject) => req.write(bytes, (error) => (error ? reject(error) : resolve()))),
		end: (bytes) => req.end(bytes),
		result
	};
}

describe('HTTP server timeouts over a real socket', () => {
	let dir: string;
	let server: RunningSealdrop;
	const logs = captureLogs();

	beforeAll(async () => {
		dir = await tempDir();
		const config = listeningConfig(dir, {
			SEALDROP_IDLE_TIMEOUT: '2',
			SEALDROP_HEADERS_TIMEOUT: '1',
			SEALDROP_KEEP_ALIVE_TIMEOUT: '1'
		});
		server = await startSealdrop(config, { logger: logs.logger });
	});
	afterAll(async () => {
		await server?.close();
		await rm(dir, { recursive: true, force: true });
	});

	const newShare = (size: number) => createOnePartShare(server.url, size);
	const received = (share: OnePartShare) => receivedParts(server.url, share);

	it('cuts a part upload whose client stops sending, and keeps nothing of the part', async () => {
		const share = await newShare(256 * KiB);
		const upload = openUpload(share.partUrl, share.owner, share.bytes.length);
		await upload.write(share.bytes.subarray(0, 16 * KiB));
		const silentSince = Date.now();
		const result = await upload.result;
		const silentFor = Date.now() - silentSince;

		expect(result).toHaveProperty('cut');
		// Cut by the 2 s idle timeout: not before it, and not much later.
		expect(silentFor).toBeGreaterThanOrEqual(1900);
		expect(silentFor).toBeLessThan(6000);
		expect(logs.lines.some((line) => line.msg === 'request body idle; connection closed')).toBe(true);

		// The part is not recorded and its temporary file is gone (the store cleans up on the broken body).
		expect(await received(share)).toEqual([]);
		const tmp = join(server.config.dataDir, 'blobs', '.tmp');
		for (let i = 0; i < 20 && (await readdir(tmp)).length > 0; i++) await sleep(100);
		expect(await readdir(tmp)).toEqual([]);

		// The client's retry stores it.
		const retry = await fetch(share.partUrl, { method: 'PUT', headers: bearer(share.owner), body: share.bytes });
		expect(retry.status).toBe(200);
		expect(await received(share)).toEqual([0]);
	});

	it('lets a slow upload that keeps sending run well past the idle and headers timeouts', async () => {
		// 64 KiB a second for 5 s, under a 2 s idle timeout and a 1 s headers timeout.
		const share = await newShare(5 * 64 * KiB);
		const upload = openUpload(share.partUrl, share.owner, share.bytes.length);
		const started = Date.now();
		for (let i = 0; i < 4; i++) {
			await upload.write(share.bytes.subarray(i * 64 * KiB, (i + 1) * 64 * KiB));
			await sleep(1000);
		}
		upload.end(share.bytes.subarray(4 * 64 * KiB));
		const result = await upload.result;
		expect(Date.now() - started).toBeGreaterThan(4000);
		expect(result).toEqual({ status: 200, body: JSON.stringify({ n: 0, size: 5 * 64 * KiB }) });
		expect(await received(share)).toEqual([0]);
	});

	it('closes a connection that does not finish its request headers', async () => {
		const socket = await openSocket(server.port);
		const opened = Date.now();
		socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
		let answer = '';
		socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
		await new Promise<void>((resolve) => socket.once('close', () => resolve()));
		expect(answer).toMatch(/^HTTP\/1\.1 408/);
		expect(answer).toContain('{"error":{"code":"REQUEST_TIMEOUT"');
		expect(Date.now() - opened).toBeLessThan(4000);
	});

	it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
		const socket = await openSocket(server.port);
		let answer = '';
		const first = new Promise<void>((resolve) =>
			socket.on('data', (chunk: Buffer) => {
				answer += chunk.toString('latin1');
				if (answer.includes('\r\n\r\n')) resolve();
			})
		);
		socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
		await first;
		const answered = Date.now();
		expect(answer).toMatch(/^HTTP\/1\.1 200/);
		expect(answer.toLowerCase()).toContain('keep-alive');
		await new Promise<void>((resolve) => socket.once('close', () => resolve()));
		expect(Date.now() - answered).toBeLessThan(3000);
	});
});

describe('httpServerOptions', () => {
	it('sets no limit on a whole request, so a multi-minute part on a slow link is not killed', () => {
		const options = httpServerOptions({ idle: 60, headers: 30, keepAlive: 5 });
		// Node's default requestTimeout is 300 s: a 64 MiB part at 100 KiB/s needs 11 minutes.
		expect(options.requestTimeout).toBe(0);
		expect(options.headersTimeout).toBe(30_000);
		expect(options.keepAliveTimeout).toBe(5_000);
		expect(options.connectionsCheckingInterval).toBeLessThanOrEqual(15_000);
	});
});

describe('minimum upload rate over a real socket', () => {
	let dir: string;
	let server: RunningSealdrop;
	const logs = captureLogs();

	beforeAll(async () => {
		dir = await tempDir();
		// Small figures so the test runs in seconds; the idle timeout is far away.
		const config = listeningConfig(dir, { SEALDROP_MIN_UPLOAD_RATE: '16KiB', SEALDROP_MIN_UPLOAD_RATE_GRACE: '1' });
		server = await startSealdrop(config, { logger: logs.logger });
	});
	afterAll(async () => {
		await server?.close();
		await rm(dir, { recursive: true, force: true });
	});

	const newShare = (size: number) => createOnePartShare(server.url, size);
	const received = (share: OnePartShare) => receivedParts(server.url, share);

	/** Sends `piece` bytes every `everyMs` (pacing, not synchronisation) until the upload ends or is cut. */
	async function pace(upload: Upload, bytes: Uint8Array, piece: number, everyMs: number, maxPieces: number) {
		let settled = false;
		void upload.result.then(() => (settled = true));
		let sent = 0;
		for (let i = 0; i < maxPieces && !settled && sent < bytes.length; i++) {
			const next = bytes.subarray(sent, sent + piece);
			sent += next.length;
			if (sent >= bytes.length) upload.end(next);
			else await upload.write(next).catch(() => {});
			await sleep(everyMs);
		}
		return sent;
	}

	it('cuts a trickle below the floor after the grace period while a slow but steady upload completes', async () => {
		const [trickled, steady] = await Promise.all([newShare(256 * KiB), newShare(96 * KiB)]);
		const trickle = openUpload(trickled.partUrl, trickled.owner, trickled.bytes.length);
		const slow = openUpload(steady.partUrl, steady.owner, steady.bytes.length);
		const started = Date.now();
		let cutAfter = 0;
		void trickle.result.then(() => (cutAfter = Date.now() - started));
		await Promise.all([
			// 1 KiB every 200 ms (5 KiB/s, under the 16 KiB/s floor), for at most 6 s.
			pace(trickle, trickled.bytes, KiB, 200, 30),
			// 8 KiB every 250 ms (32 KiB/s, twice the floor): 96 KiB in about 3 s.
			pace(slow, steady.bytes, 8 * KiB, 250, 12)
		]);

		expect(await trickle.result).toHaveProperty('cut');
		// Not before the 1 s grace, and well before the 6 s the trickle would have gone on.
		expect(cutAfter).toBeGreaterThanOrEqual(1000);
		expect(cutAfter).toBeLessThan(4000);
		expect(await slow.result).toEqual({ status: 200, body: JSON.stringify({ n: 0, size: 96 * KiB }) });

		const line = logs.lines.find((entry) => entry.msg === 'request body too slow; connection closed');
		expect(line).toMatchObject({ route: '/api/v1/shares/:id/parts/:n', minRate: 16 * KiB });
		expect(JSON.stringify(line)).not.toContain(trickled.owner);
		expect(await received(trickled)).toEqual([]);
		expect(await received(steady)).toEqual([0]);
	}, 20_000);
});
