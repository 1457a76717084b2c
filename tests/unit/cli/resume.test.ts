import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../../src/lib/api/client';
import type { UploadState } from '../../../cli/store';
import { nextEvent, until } from '../../support/wait';
import { CliHarness, fileSha, sha } from './harness';

const root = join(import.meta.dirname, '../../..');
const MiB = 1024 * 1024;

/**
 * A proxy in front of the server that can stop a blob response part-way: `cut` closes the
 * connection after `after` bytes of the body; `stall` stops forwarding and holds it open.
 */
class Proxy {
	server!: Server;
	url = '';
	mode: { kind: 'cut' | 'stall'; after: number } | null = null;
	blobRanges: string[] = [];
	claims = 0;
	readonly events = new EventEmitter();

	constructor(private readonly target: string) {}

	async start(): Promise<this> {
		const target = new URL(this.target);
		this.server = createServer((req, res) => {
			const isBlob = /\/blob$/.test(req.url!);
			if (isBlob) this.blobRanges.push(req.headers.range ?? '');
			if (/\/claim$/.test(req.url!)) this.claims++;
			const upstream = request(
				{ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
				(up) => {
					res.writeHead(up.statusCode!, up.headers);
					const mode = isBlob ? this.mode : null;
					if (mode) this.mode = null;
					let sent = 0;
					up.on('data', (chunk: Buffer) => {
						if (mode && sent + chunk.length > mode.after) {
							res.write(chunk.subarray(0, mode.after - sent));
							sent = mode.after;
							up.pause();
							if (mode.kind === 'cut') res.socket?.destroy();
							this.events.emit(mode.kind);
							return;
						}
						sent += chunk.length;
						res.write(chunk);
					});
					up.on('end', () => res.end());
				}
			);
			req.pipe(upstream);
		});
		this.server.listen(0, '127.0.0.1');
		await nextEvent(this.server, 'listening', { what: 'the proxy listening' });
		this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
		return this;
	}

	close(): Promise<void> {
		this.server.closeAllConnections();
		return promisify(this.server.close.bind(this.server))();
	}
}

describe('sealdrop resumes interrupted transfers', () => {
	const h = new CliHarness();
	let proxy: Proxy;
	beforeAll(async () => {
		await h.start();
		proxy = await new Proxy(h.server.url).start();
		await promisify(execFile)('npm', ['run', 'build:cli'], { cwd: root });
	}, 60_000);
	afterAll(async () => {
		await proxy.close();
		await h.close();
	});

	it('an upload killed (SIGKILL) mid-way sends only the missing parts on the second run', async () => {
		const bytes = randomBytes(42 * MiB); // several parts of the server's preferred 8 MiB
		await h.write('big/data.bin', bytes);
		const puts = () => h.requests.filter((r) => r.method === 'PUT').length;
		// Killed as soon as the server holds one whole part.
		const stored = new EventEmitter();
		let partsStored = 0;
		h.server.httpServer.on('request', (req, res) => {
			if (req.method === 'PUT') res.on('finish', () => res.statusCode === 200 && (partsStored++, stored.emit('part')));
		});
		const child = spawn(process.execPath, [join(root, 'packages/cli/sealdrop.mjs'), 'send', 'big/data.bin', '--quiet'], {
			cwd: h.dir,
			env: { ...process.env, XDG_CONFIG_HOME: h.configHome, SEALDROP_SERVER: h.server.url },
			stdio: 'ignore'
		});
		const exited = nextEvent(child, 'exit', { what: 'the CLI to exit', timeoutMs: 30_000 });
		await until(() => partsStored >= 1, [stored], 'part', { what: 'a part stored', timeoutMs: 30_000 });
		child.kill('SIGKILL');
		await exited;

		const [state] = JSON.parse(
			JSON.stringify(
				await Promise.all(
					(await readdir(join(h.configHome, 'sealdrop/state/uploads'))).map(
						async (n) => JSON.parse(await readFile(join(h.configHome, 'sealdrop/state/uploads', n), 'utf8')) as UploadState
					)
				)
			)
		) as UploadState[];
		const status = await new ApiClient(h.server.url).listParts(state!.pending.id, state!.pending.ownerToken);
		expect(status.parts).toBeGreaterThanOrEqual(4);
		expect(status.received.length).toBeGreaterThanOrEqual(1);
		expect(status.received.length).toBeLessThan(status.parts);

		const before = puts();
		const second = await h.run(['send', 'big/data.bin']);
		expect(second.code, second.stderr).toBe(0);
		expect(second.stderr).toContain('Continuing the interrupted upload');
		expect(puts() - before).toBe(status.parts - status.received.length);
		expect(second.stdout).toContain(`/s/${state!.pending.id}#`);
		expect(await readdir(join(h.configHome, 'sealdrop/state/uploads'))).toEqual([]);

		const got = await h.run(['get', second.stdout.trim(), '-o', 'big-out']);
		expect(got.code, got.stderr).toBe(0);
		expect(await fileSha(h.path('big-out/data.bin'))).toBe(sha(bytes));
	}, 120_000);

	it('a download cut mid-body continues with Range where the verified bytes end', async () => {
		const bytes = randomBytes(6 * MiB);
		await h.write('cut/c.bin', bytes);
		const link = (await h.run(['send', 'cut/c.bin'])).stdout.trim().replace(h.server.url, proxy.url);
		proxy.blobRanges = [];
		proxy.claims = 0;
		proxy.mode = { kind: 'cut', after: 3 * MiB };
		const got = await h.run(['get', link, '-o', 'cut-out']);
		expect(got.code, got.stderr).toBe(0);
		expect(await fileSha(h.path('cut-out/c.bin'))).toBe(sha(bytes));
		expect(proxy.claims).toBe(1);
		expect(proxy.blobRanges).toHaveLength(2);
		expect(proxy.blobRanges[0]).toMatch(/^bytes=0-/);
		expect(Number(/^bytes=(\d+)-/.exec(proxy.blobRanges[1]!)![1])).toBeGreaterThan(MiB);
	});

	it('a download stopped (Ctrl-C) continues on the next run with the same ticket, spending nothing more', async () => {
		const bytes = randomBytes(6 * MiB);
		await h.write('stop/s.bin', bytes);
		const link = (await h.run(['send', 'stop/s.bin', '--downloads', '1'])).stdout.trim().replace(h.server.url, proxy.url);
		proxy.blobRanges = [];
		proxy.claims = 0;
		proxy.mode = { kind: 'stall', after: 3 * MiB };
		const controller = new AbortController();
		const stalled = nextEvent(proxy.events, 'stall', { what: 'the proxy stalling the body' });
		const first = h.run(['get', link, '-o', 'stop-out'], { signal: controller.signal });
		await stalled;
		controller.abort();
		expect(await first).toMatchObject({ code: 130, stderr: expect.stringContaining('run the same command again') });
		const partial = (await readdir(h.path('stop-out'))).filter((n) => n.endsWith('.part'));
		expect(partial).toHaveLength(1);

		const second = await h.run(['get', link, '-o', 'stop-out']);
		expect(second.code, second.stderr).toBe(0);
		expect(await fileSha(h.path('stop-out/s.bin'))).toBe(sha(bytes));
		expect(proxy.claims).toBe(1); // the one download allowed was spent once
		expect(Number(/^bytes=(\d+)-/.exec(proxy.blobRanges.at(-1)!)![1])).toBeGreaterThan(MiB);
		expect(await readdir(h.path('stop-out'))).toEqual(['s.bin']);
	});
});
