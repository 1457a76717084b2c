/**
 * Bench phase "server-scale": 1, 4 and 16 concurrent transfers by Node clients of the project's
 * own API client (src/lib/api/client.ts; no browser) against the production server, each
 * uploading then downloading BENCH_SCALE_MIB (64 by default) MiB of random ciphertext-sized data,
 * next to a bare Node HTTP server (bare-io-server.ts) doing the same disk I/O in the same run.
 * Reports aggregate MiB/s, the server's CPU-seconds per GiB (/proc/<pid>/stat) and the latency
 * of `GET /api/v1/shares/:id` asked every 50 ms during the load.
 * Runs on its own: `npm run bench -- --only server-scale`. BENCH_SCALE_TRANSFERS=1,4 changes the
 * levels; BENCH_SCALE_CPU_PROF=<dir> has the server write a CPU profile there (node --cpu-prof), the bare
 * server in <dir>/bare.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ApiClient } from '../../src/lib/api/client.ts';
import { DEFAULT_ARGON2, DEFAULT_RECORD_SIZE, encodeHeader } from '../../src/lib/crypto/index.ts';
import { SERVER_FINDINGS } from './findings.ts';
import { startProductionServer } from './production-server.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** One record of ciphertext: 64 KiB of plaintext and its 16-byte tag (docs/FORMAT.md). */
const RECORD = DEFAULT_RECORD_SIZE + 16;
export const SCALE_TARGETS = { ratio: 0.8, p99Ms: 100, atTransfers: 16 };

interface Level {
	transfers: number;
	up_mib_s: number;
	down_mib_s: number;
	bare_up_mib_s: number;
	bare_cached_up_mib_s: number;
	bare_down_mib_s: number;
	cpu_s_per_gib: number;
	bare_cpu_s_per_gib: number;
	/** Per direction: CPU-seconds per GiB moved, and how much of it was the kernel's (system time). */
	up_cpu_s_per_gib: number;
	down_cpu_s_per_gib: number;
	bare_up_cpu_s_per_gib: number;
	bare_down_cpu_s_per_gib: number;
	down_sys_share: number;
	bare_down_sys_share: number;
	probe_p50_ms: number;
	probe_p99_ms: number;
	probes: number;
	/** p99 of the probes that began during the upload phase, and during the download phase. */
	probe_up_p99_ms: number;
	probe_down_p99_ms: number;
	/** The same tiny probe (GET /ping) against the bare server during its load: the yardstick for p99. */
	bare_probe_p50_ms: number;
	bare_probe_p99_ms: number;
	bare_probes: number;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

/** utime and stime of a process (all its threads, the libuv pool's included), in seconds. */
function cpuTimes(pid: number): { user: number; sys: number } {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return { user: Number(fields[11]) / TICKS, sys: Number(fields[12]) / TICKS };
}
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** Reads a response body to its end, keeping nothing; returns its length. */
async function drain(body: ReadableStream<Uint8Array> | null): Promise<number> {
	let bytes = 0;
	if (body) for await (const chunk of body) bytes += chunk.byteLength;
	return bytes;
}

/**
 * Asks `url` every 50 ms from a worker thread (its own event loop: the clients' work on the main
 * thread must not be counted as server latency) until stopped; returns each answer's time in ms.
 */
interface Probe {
	/** When it began (ms since the epoch, comparable across threads) and how long it took. */
	at: number;
	took: number;
}

function startProbe(url: string): { stop(): Promise<Probe[]> } {
	const worker = new Worker(
		`const { parentPort } = require('node:worker_threads');
		const times = [];
		let running = true;
		parentPort.on('message', () => { running = false; });
		(async () => {
			// Not counted: the first request also sets up the worker's HTTP client and connection.
			await (await fetch(${JSON.stringify(url)})).arrayBuffer();
			while (running) {
				const t = performance.now();
				const res = await fetch(${JSON.stringify(url)});
				await res.arrayBuffer();
				if (!res.ok) throw new Error('probe answered ' + res.status);
				const took = performance.now() - t;
				times.push({ at: performance.timeOrigin + t, took });
				await new Promise((r) => setTimeout(r, Math.max(0, 50 - took)));
			}
			parentPort.postMessage(times);
		})().catch((err) => { throw err; });`,
		{ eval: true }
	);
	const done = new Promise<Probe[]>((resolve, reject) => {
		worker.once('message', (times: Probe[]) => resolve(times));
		worker.once('error', reject);
	});
	return {
		stop: async () => {
			worker.postMessage('stop');
			const times = await done;
			await worker.terminate();
			return times;
		}
	};
}

function percentile(values: number[], p: number): number {
	if (values.length === 0) return NaN;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** A share of `size` bytes made with the API client; its tokens are random, as a sender's are. */
async function createShare(api: ApiClient, size: number, partSize: number) {
	const owner = randomBytes(32);
	const read = randomBytes(32);
	const header = encodeHeader({
		version: 1,
		recordSize: DEFAULT_RECORD_SIZE,
		salt: new Uint8Array(32).fill(7),
		kdf: { ...DEFAULT_ARGON2 },
		commitment: new Uint8Array(32).fill(9)
	});
	const created = await api.createShare({
		size,
		partSize,
		expiresIn: 3600,
		maxDownloads: 1,
		header: b64(header),
		metadata: b64(randomBytes(256)),
		readTokenHash: b64(sha256(read)),
		ownerTokenHash: b64(sha256(owner))
	});
	return { ...created, owner: b64(owner), read: b64(read) };
}

async function spawnBare(dir: string): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
	const prof = process.env.BENCH_SCALE_CPU_PROF;
	const profArgs = prof ? ['--cpu-prof', `--cpu-prof-dir=${join(prof, 'bare')}`] : [];
	const child = spawn(process.execPath, [...profArgs, '--import', 'tsx', 'tests/bench/bare-io-server.ts', dir], {
		stdio: ['ignore', 'pipe', 'inherit']
	});
	const port = await new Promise<string>((resolve, reject) => {
		child.stdout!.on('data', (data: Buffer) => {
			const match = /listening (\d+)/.exec(data.toString());
			if (match) resolve(match[1]!);
		});
		child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
	});
	return {
		url: `http://127.0.0.1:${port}`,
		process: child,
		stop: async () => {
			const exited = new Promise((resolve) => child.once('exit', resolve));
			child.kill('SIGTERM');
			await exited;
		}
	};
}

/** Wall time and the server's CPU time (and its system part) of `work`. */
async function measured(pid: number, work: () => Promise<unknown>): Promise<{ seconds: number; cpu: number; sys: number }> {
	const before = cpuTimes(pid);
	const t = performance.now();
	await work();
	const after = cpuTimes(pid);
	const sys = after.sys - before.sys;
	return { seconds: (performance.now() - t) / 1000, cpu: after.user - before.user + sys, sys };
}

export async function serverScalePhase(): Promise<Level[]> {
	const mib = Number(process.env.BENCH_SCALE_MIB ?? 64);
	const levels = (process.env.BENCH_SCALE_TRANSFERS ?? '1,4,16').split(',').map(Number);
	// Ciphertext of `mib` MiB of plaintext: whole records of 64 KiB and a tag.
	const size = Math.ceil((mib * MiB) / DEFAULT_RECORD_SIZE) * RECORD;
	const work = await mkdtemp(join(tmpdir(), 'sealdrop-scale-'));
	// Embedded defaults, except what stands in for many clients on many addresses: here they all
	// come from 127.0.0.1, which the per-client limits would otherwise throttle as one client.
	const server = await startProductionServer(
		join(work, 'data'),
		{
			SEALDROP_RATE_LIMIT_CREATE: 'off',
			SEALDROP_RATE_LIMIT_CLAIM: 'off',
			SEALDROP_MAX_UPLOADS_PER_CLIENT: '64',
			SEALDROP_MAX_CONNECTIONS_PER_ADDRESS: '0'
		},
		process.env.BENCH_SCALE_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SCALE_CPU_PROF}`] : []
	);
	const bare = await spawnBare(join(work, 'bare'));
	const api = new ApiClient(server.url, fetch);
	const results: Level[] = [];
	try {
		const { partSize: parts } = await api.config();
		const partSize = parts.preferred;
		const partCount = Math.ceil(size / partSize);
		const partLength = (n: number) => Math.min(partSize, size - n * partSize);
		// The same random bytes for every part: the server never looks inside ciphertext.
		const data = new Uint8Array(randomBytes(partSize));
		const body = (n: number) => data.subarray(0, partLength(n));
		// A small ready share the probe asks about, as a recipient's page does.
		const probeShare = await createShare(api, RECORD, partSize);
		await api.putPart(probeShare.id, 0, data.subarray(0, RECORD), probeShare.owner);
		await api.complete(probeShare.id, probeShare.owner);

		for (const transfers of levels) {
			console.error(`  server-scale: ${transfers} transfer(s) of ${mib} MiB…`);
			const pid = server.process.pid!;
			const probe = startProbe(`${server.url}/api/v1/shares/${probeShare.id}`);
			const shares = await Promise.all(Array.from({ length: transfers }, () => createShare(api, size, partSize)));
			const up = await measured(pid, () =>
				Promise.all(
					shares.map(async (share) => {
						for (let n = 0; n < partCount; n++) await api.putPart(share.id, n, body(n), share.owner);
						await api.complete(share.id, share.owner);
					})
				)
			);
			const downFrom = performance.timeOrigin + performance.now();
			const tickets = await Promise.all(shares.map(async (share) => (await api.claim(share.id, share.read)).ticket));
			const down = await measured(pid, () =>
				Promise.all(
					shares.map(async (share, i) => {
						let got = 0;
						for (let n = 0; n < partCount; n++) {
							const start = n * partSize;
							got += await drain((await api.blob(share.id, tickets[i]!, start, start + partLength(n))).body);
						}
						if (got !== size) throw new Error(`downloaded ${got} of ${size} bytes`);
					})
				)
			);
			const probes = await probe.stop();
			const times = probes.map((p) => p.took);
			await Promise.all(shares.map((share) => api.deleteShare(share.id, share.owner)));

			const barePid = bare.process.pid!;
			const bareProbe = startProbe(`${bare.url}/ping`);
			const names = Array.from({ length: transfers }, (_, t) => Array.from({ length: partCount }, (_, n) => `${t}-${n}`));
			const bareUpload = (durable: boolean) =>
				measured(barePid, () =>
					Promise.all(
						names.map(async (list) => {
							for (const [n, name] of list.entries()) {
								const res = await fetch(`${bare.url}/file/${name}${durable ? '?durable' : ''}`, { method: 'PUT', body: body(n) });
								await res.arrayBuffer();
							}
						})
					)
				);
			// Without flushing first (what the disk's cache takes), then as Sealdrop writes a part.
			const bareCachedUp = await bareUpload(false);
			const bareUp = await bareUpload(true);
			const bareDown = await measured(barePid, () =>
				Promise.all(
					names.map(async (list) => {
						let got = 0;
						for (const name of list) got += await drain((await fetch(`${bare.url}/file/${name}`)).body);
						if (got !== size) throw new Error(`bare: downloaded ${got} of ${size} bytes`);
					})
				)
			);
			const bareTimes = (await bareProbe.stop()).map((p) => p.took);
			await fetch(`${bare.url}/file/`, { method: 'DELETE' });

			const total = (transfers * size) / MiB;
			const gib = (transfers * size) / GiB;
			results.push({
				transfers,
				up_mib_s: total / up.seconds,
				down_mib_s: total / down.seconds,
				bare_up_mib_s: total / bareUp.seconds,
				bare_cached_up_mib_s: total / bareCachedUp.seconds,
				bare_down_mib_s: total / bareDown.seconds,
				cpu_s_per_gib: (up.cpu + down.cpu) / ((2 * transfers * size) / GiB),
				bare_cpu_s_per_gib: (bareUp.cpu + bareDown.cpu) / ((2 * transfers * size) / GiB),
				up_cpu_s_per_gib: up.cpu / gib,
				down_cpu_s_per_gib: down.cpu / gib,
				bare_up_cpu_s_per_gib: bareUp.cpu / gib,
				bare_down_cpu_s_per_gib: bareDown.cpu / gib,
				down_sys_share: down.sys / down.cpu,
				bare_down_sys_share: bareDown.sys / bareDown.cpu,
				probe_p50_ms: percentile(times, 50),
				probe_p99_ms: percentile(times, 99),
				probes: times.length,
				probe_up_p99_ms: percentile(
					probes.filter((p) => p.at < downFrom).map((p) => p.took),
					99
				),
				probe_down_p99_ms: percentile(
					probes.filter((p) => p.at >= downFrom).map((p) => p.took),
					99
				),
				bare_probe_p50_ms: percentile(bareTimes, 50),
				bare_probe_p99_ms: percentile(bareTimes, 99),
				bare_probes: bareTimes.length
			});
		}
		printScale(results, mib, partSize);
		return results;
	} finally {
		await bare.stop();
		await server.stop();
		await rm(work, { recursive: true, force: true });
	}
}

function printScale(levels: Level[], mib: number, partSize: number): void {
	const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(0)} %`;
	console.log(
		`\nServer scale — dist/server.js (embedded defaults, SQLite + files in a temp dir; per-client limits lifted: one address stands for many)\n` +
			`each transfer: ${mib} MiB of ciphertext up in ${(partSize / MiB).toFixed(2)} MiB parts, then down part by part; ` +
			`bare: a plain Node HTTP server streaming the same bodies to files (each flushed to disk before answering) and back. Targets: ≥ ${SCALE_TARGETS.ratio * 100} % of bare; ` +
			`p99 of GET /api/v1/shares/:id (every 50 ms during the load) < ${SCALE_TARGETS.p99Ms} ms at ${SCALE_TARGETS.atTransfers} transfers\n` +
			`durability: a part is acknowledged unflushed (file and SQLite record): until complete it is only a cache, which complete ` +
			`checks (MISSING_PARTS for any part a power cut took); complete flushes every part before the share is ready, so the ` +
			`"up" figures end as durable as bare's. SQLite commits with synchronous=NORMAL; claims, counters and complete are answered ` +
			`only after the WAL is flushed off the event loop (SELF-HOSTING.md, "Durability")`
	);
	console.table(
		levels.map((l) => ({
			transfers: l.transfers,
			'up MiB/s': l.up_mib_s.toFixed(0),
			'bare up': l.bare_up_mib_s.toFixed(0),
			'up %': pct(l.up_mib_s, l.bare_up_mib_s),
			'bare up unflushed': l.bare_cached_up_mib_s.toFixed(0),
			'down MiB/s': l.down_mib_s.toFixed(0),
			'bare down': l.bare_down_mib_s.toFixed(0),
			'down %': pct(l.down_mib_s, l.bare_down_mib_s),
			'CPU s/GiB up / down': `${l.up_cpu_s_per_gib.toFixed(2)} / ${l.down_cpu_s_per_gib.toFixed(2)}`,
			'bare CPU up / down': `${l.bare_up_cpu_s_per_gib.toFixed(2)} / ${l.bare_down_cpu_s_per_gib.toFixed(2)}`,
			'down sys %': `${(l.down_sys_share * 100).toFixed(0)} / ${(l.bare_down_sys_share * 100).toFixed(0)}`,
			'GET p50 / p99 ms': `${l.probe_p50_ms.toFixed(1)} / ${l.probe_p99_ms.toFixed(1)} (${l.probes})`,
			'p99 up / down': `${l.probe_up_p99_ms.toFixed(0)} / ${l.probe_down_p99_ms.toFixed(0)}`,
			'bare /ping p50 / p99': `${l.bare_probe_p50_ms.toFixed(1)} / ${l.bare_probe_p99_ms.toFixed(1)} (${l.bare_probes})`,
			met:
				l.up_mib_s >= SCALE_TARGETS.ratio * l.bare_up_mib_s &&
				l.down_mib_s >= SCALE_TARGETS.ratio * l.bare_down_mib_s &&
				(l.transfers < SCALE_TARGETS.atTransfers || l.probe_p99_ms < SCALE_TARGETS.p99Ms)
					? 'yes'
					: 'no'
		}))
	);
	console.log(`\n${SERVER_FINDINGS.join('\n')}`);
}
