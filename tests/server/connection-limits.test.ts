import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/load';
import { connectionLimits } from '../../server/http/connections';
import { startSealdrop, type RunningSealdrop } from '../../server/start';
import { captureLogs, listeningConfig, openSocket, tempDir } from './helpers';

// Linux routes all of 127.0.0.0/8 to the loopback interface, so a client socket bound to
// 127.0.0.2 reaches the server from a second address.
const OTHER = '127.0.0.2';

/** Sockets a test opened, destroyed after it. */
const opened = new Set<Socket>();
afterEach(() => {
	for (const socket of opened) socket.destroy();
	opened.clear();
});

interface Watched {
	socket: Socket;
	/** Resolves when the connection closes (the server closed it, or the test did). */
	closed: Promise<void>;
	isClosed(): boolean;
}

/** A TCP connection from `localAddress` that sends nothing until the test says so. */
async function openSilent(port: number, localAddress = '127.0.0.1'): Promise<Watched> {
	const socket = await openSocket(port, localAddress);
	opened.add(socket);
	let done = false;
	const closed = new Promise<void>((resolve) =>
		socket.once('close', () => {
			done = true;
			resolve();
		})
	);
	// A reset from the server is how a refusal may look; it only closes the socket.
	socket.on('error', () => {});
	return { socket, closed, isClosed: () => done };
}

/** Resolves with whether `promise` settled within `ms`: a bound on a failing test, not a wait. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
	return new Promise((resolve) => {
		const timer = setTimeout(() => resolve(false), ms);
		void promise.then(() => {
			clearTimeout(timer);
			resolve(true);
		});
	});
}

/** GET /healthz on a fresh connection from `localAddress`; the status, or the socket error code. */
function healthz(port: number, localAddress: string): Promise<string> {
	return new Promise((resolve) => {
		const req = request({ host: '127.0.0.1', port, path: '/healthz', localAddress, agent: false }, (res) => {
			res.resume();
			res.on('end', () => resolve(String(res.statusCode)));
		});
		req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
		req.end();
	});
}

/** One value of GET /metrics, scraped from a second address (the first may be over its share). */
async function metric(port: number, line: string): Promise<number> {
	const text = await new Promise<string>((resolve, reject) => {
		const req = request({ host: '127.0.0.1', port, path: '/metrics', localAddress: '127.0.0.9', agent: false }, (res) => {
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (chunk: string) => (body += chunk));
			res.on('end', () => resolve(body));
		});
		req.on('error', reject);
		req.end();
	});
	const found = text.split('\n').find((l) => l.startsWith(`${line} `));
	return found === undefined ? Number.NaN : Number(found.slice(line.length + 1));
}

/** Sends `text` (by default a whole GET /healthz) on an open raw connection; the status line. */
function healthzOn(socket: Socket, text = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'): Promise<string> {
	return new Promise((resolve) => {
		let answer = '';
		const onData = (chunk: Buffer) => {
			answer += chunk.toString('latin1');
			if (answer.includes('\r\n')) {
				socket.off('data', onData);
				resolve(answer.slice(0, answer.indexOf('\r\n')));
			}
		};
		socket.on('data', onData);
		socket.once('close', () => resolve(answer || 'closed'));
		socket.write(text);
	});
}

describe('connection limits over a real socket', () => {
	let dir: string;
	let server: RunningSealdrop;
	const logs = captureLogs();

	beforeAll(async () => {
		dir = await tempDir();
		const config = listeningConfig(dir, {
			SEALDROP_MAX_CONNECTIONS: '12',
			SEALDROP_MAX_CONNECTIONS_PER_ADDRESS: '4',
			// Long enough that no silent test connection is closed for being silent.
			SEALDROP_KEEP_ALIVE_TIMEOUT: '30',
			SEALDROP_HEADERS_TIMEOUT: '30'
		});
		server = await startSealdrop(config, { logger: logs.logger });
	});
	afterAll(async () => {
		await server?.close();
		await rm(dir, { recursive: true, force: true });
	});

	it('refuses a flood from one address beyond its share at the socket, and still serves another address', async () => {
		const flood: Watched[] = [];
		for (let i = 0; i < 10; i++) flood.push(await openSilent(server.port));

		// Six over the per-address share of 4 are closed at once, without an answer.
		const refused = flood.slice(4);
		expect(await within(Promise.all(refused.map((c) => c.closed)), 3000), 'connections over the share closed').toBe(true);
		expect(flood.slice(0, 4).map((c) => c.isClosed())).toEqual([false, false, false, false]);

		// Another address is served, and so is each connection the flooding address kept.
		expect(await healthz(server.port, OTHER)).toBe('200');
		expect(await healthzOn(flood[0]!.socket)).toBe('HTTP/1.1 200 OK');

		// A connection the address gives up frees a place in its share.
		flood[1]!.socket.destroy();
		let status = '';
		for (let i = 0; i < 50 && status !== '200'; i++) status = await healthz(server.port, '127.0.0.1');
		expect(status).toBe('200');
		// The refusals are logged without the address.
		const refusals = logs.lines.filter((line) => line.msg === 'connections refused');
		expect(refusals.length).toBeGreaterThan(0);
		expect(JSON.stringify(refusals)).not.toContain('127.0.0.1');
		// And counted for the operator's dashboards.
		expect(await metric(server.port, 'sealdrop_connections_refused_total{reason="per_address"}')).toBeGreaterThanOrEqual(6);
		expect(await metric(server.port, 'sealdrop_open_connections')).toBeGreaterThanOrEqual(3);
	}, 20_000);

	it('refuses a new connection over the global cap from any address', async () => {
		// 4 from each of three addresses fill the cap of 12; a fourth address is refused.
		const held: Watched[] = [];
		for (const address of ['127.0.0.3', '127.0.0.4', '127.0.0.5']) {
			for (let i = 0; i < 4; i++) held.push(await openSilent(server.port, address));
		}
		const extra = await openSilent(server.port, '127.0.0.6');
		expect(await within(extra.closed, 3000), 'connection over the global cap closed').toBe(true);
		expect(held.filter((c) => c.isClosed())).toEqual([]);
		for (const c of held) c.socket.destroy();
		await Promise.all(held.map((c) => c.closed));
		expect(await metric(server.port, 'sealdrop_connections_refused_total{reason="max_connections"}')).toBeGreaterThanOrEqual(1);
		let status = '';
		for (let i = 0; i < 50 && status !== '200'; i++) status = await healthz(server.port, '127.0.0.6');
		expect(status).toBe('200');
	}, 20_000);
});

describe('silent connections', () => {
	let dir: string;
	let server: RunningSealdrop;

	beforeAll(async () => {
		dir = await tempDir();
		// The headers timeout keeps its default; the keep-alive timeout (1 s) is the shorter one.
		const config = listeningConfig(dir, { SEALDROP_KEEP_ALIVE_TIMEOUT: '1' });
		server = await startSealdrop(config, { logger: captureLogs().logger });
	});
	afterAll(async () => {
		await server?.close();
		await rm(dir, { recursive: true, force: true });
	});

	it('closes a connection that sends nothing within the keep-alive timeout, not the headers timeout', async () => {
		const started = Date.now();
		const silent = await openSilent(server.port);
		expect(await within(silent.closed, 5000), 'silent connection closed').toBe(true);
		const after = Date.now() - started;
		expect(after).toBeGreaterThanOrEqual(900);
		expect(after).toBeLessThan(2500);
		expect(await metric(server.port, 'sealdrop_connections_refused_total{reason="silent"}')).toBe(1);
	});

	it('leaves a connection that has started its request to the headers timeout, and serves one that finishes it', async () => {
		const slow = await openSilent(server.port);
		slow.socket.write('GET /healthz HTTP/1.1\r\n');
		const prompt = await openSilent(server.port);
		expect(await healthzOn(prompt.socket)).toBe('HTTP/1.1 200 OK');
		// Past the silent-connection limit the started request is still open (its headers have 10 s).
		const silent = await openSilent(server.port);
		await silent.closed;
		expect(slow.isClosed()).toBe(false);
		expect(await healthzOn(slow.socket, 'Host: 127.0.0.1\r\n\r\n')).toBe('HTTP/1.1 200 OK');
	});
});

describe('connectionLimits', () => {
	const config = (env: Record<string, string>) => loadConfig({ SEALDROP_DATA_DIR: '/tmp/unused', ...env });

	it('caps each address only when the TCP peer is the client', () => {
		expect(connectionLimits(config({}))).toEqual({ max: 4096, perAddress: 64, silentMs: 5000 });
		// Behind a trusted proxy every connection comes from the proxy: its own limit does the job.
		expect(connectionLimits(config({ SEALDROP_TRUST_PROXY: '1' })).perAddress).toBeUndefined();
		expect(connectionLimits(config({ SEALDROP_MAX_CONNECTIONS_PER_ADDRESS: '0' })).perAddress).toBeUndefined();
		// A silent new connection gets the shorter of the keep-alive and headers timeouts.
		expect(connectionLimits(config({ SEALDROP_KEEP_ALIVE_TIMEOUT: '75' })).silentMs).toBe(10_000);
	});
});
