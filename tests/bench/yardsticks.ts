import { readdirSync, readFileSync } from 'node:fs';
import type { BrowserContext, ElementHandle } from 'puppeteer-core';

/**
 * Upload yardsticks (issue 17): how fast this browser can send 8 MiB parts, 3 in flight, from a
 * worker to the bare server, with less and less of Sealdrop's work in the way. Beside the bare
 * single-request upload they give the ceiling of "encrypt then upload parts":
 * - `mem-blob` / `mem-u8`: the same in-memory 8 MiB of bytes PUT as each part, as a Blob / as a
 *   Uint8Array body: no file read, no crypto: the cost of parts as such.
 * - `aes-blob` / `aes-u8`: each part first sealed as 128 AES-256-GCM records of 64 KiB (WebCrypto,
 *   all in flight), then PUT as a Blob of the records / as one Uint8Array they are copied into.
 * - `file-aes-blob`: as `aes-blob`, but the plaintext read from the picked file with
 *   `File.slice().arrayBuffer()`, one read per part: what Sealdrop's worker does, minus Sealdrop.
 * Tried and dropped (slower than one read per part, tests/bench/findings.ts): each part read as 4
 * slices of 2 MiB at once, or as a stream (`Blob.stream()`) sealed record by record as it arrives.
 */
export const YARDSTICK_MODES = ['mem-blob', 'mem-u8', 'aes-blob', 'aes-u8', 'file-aes-blob'] as const;
export type YardstickMode = (typeof YARDSTICK_MODES)[number];

export const YARDSTICK_WORKER = `
const PART = 8 * 1048576;
const RECORD = 65536;
self.onmessage = async ({ data: { mode, file, size, inFlight } }) => {
	try {
		const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
		const plain = new Uint8Array(PART);
		for (let i = 0; i < PART; i += RECORD) crypto.getRandomValues(plain.subarray(i, i + RECORD));
		const parts = Math.ceil(size / PART);
		const seal = async (bytes, n) => {
			const records = [];
			for (let at = 0, i = 0; at < bytes.byteLength; at += RECORD, i++) {
				const iv = new Uint8Array(12);
				new DataView(iv.buffer).setUint32(0, n * 128 + i);
				records.push(crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, bytes.subarray(at, at + RECORD)));
			}
			return Promise.all(records);
		};
		const body = async (n) => {
			const length = Math.min(PART, size - n * PART);
			if (mode.startsWith('mem')) return mode === 'mem-blob' ? new Blob([plain.subarray(0, length)]) : plain.subarray(0, length);
			const bytes = mode === 'file-aes-blob' ? new Uint8Array(await file.slice(n * PART, n * PART + length).arrayBuffer()) : plain.subarray(0, length);
			const sealed = await seal(bytes, n);
			if (mode !== 'aes-u8') return new Blob(sealed);
			const out = new Uint8Array(sealed.reduce((sum, r) => sum + r.byteLength, 0));
			let at = 0;
			for (const r of sealed) { out.set(new Uint8Array(r), at); at += r.byteLength; }
			return out;
		};
		let next = 0;
		const t0 = performance.now();
		await Promise.all(Array.from({ length: inFlight }, async () => {
			while (next < parts) {
				const n = next++;
				const res = await fetch('/part/' + (n % 8), { method: 'PUT', body: await body(n) });
				if (!res.ok) throw new Error('part ' + n + ': ' + res.status);
			}
		}));
		self.postMessage({ mibPerSecond: size / 1048576 / ((performance.now() - t0) / 1000) });
	} catch (err) {
		self.postMessage({ error: String(err) });
	}
};`;

/**
 * Runs one yardstick in a fresh page of the bare server; `file` is needed by file-aes-blob.
 * `cpu` starts a CPU meter around the transfer alone and gives its reading back.
 */
let browserPidsForThreads: () => number[] = () => [];
/** Where BENCH_THREADS=1 finds the browser's processes. */
export function setBrowserPids(pids: () => number[]): void {
	browserPidsForThreads = pids;
}

export async function yardstick<C>(
	context: BrowserContext,
	bareUrl: string,
	mode: YardstickMode,
	file: string,
	cpu: () => () => C
): Promise<{ mibPerSecond: number; cpu: C }> {
	const page = await context.newPage();
	try {
		await page.goto(bareUrl);
		const input = (await page.$('input[type=file]')) as ElementHandle<HTMLInputElement>;
		await input.uploadFile(file);
		const stop = cpu();
		const threads = process.env.BENCH_THREADS ? threadCpu(browserPidsForThreads()) : undefined;
		const mibPerSecond = await page.evaluate(async (mode) => {
			const file = document.querySelector('input')!.files![0]!;
			const worker = new Worker('/yardstick-worker.js');
			const result = await new Promise<{ mibPerSecond?: number; error?: string }>((resolve) => {
				worker.onmessage = (e: MessageEvent<{ mibPerSecond?: number; error?: string }>) => resolve(e.data);
				worker.postMessage({ mode, file, size: file.size, inFlight: 3 });
			});
			worker.terminate();
			if (result.error !== undefined) throw new Error(result.error);
			return result.mibPerSecond!;
		}, mode);
		if (threads) console.error(`  threads ${mode}: ${threadCpuDiff(threads, threadCpu(browserPidsForThreads()))}`);
		return { mibPerSecond, cpu: stop() };
	} finally {
		await page.close();
	}
}

/** CPU-seconds so far of each thread of `pids`, keyed "<process type>/<thread name>" (a diagnosis of where CPU goes). */
export function threadCpu(pids: number[]): Map<string, number> {
	const out = new Map<string, number>();
	for (const pid of pids) {
		try {
			const type = /--type=(\S+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '))?.[1] ?? 'browser';
			for (const tid of readdirSync(`/proc/${pid}/task`)) {
				const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
				const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
				const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
				const key = `${type}/${name}`;
				out.set(key, (out.get(key) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
			}
		} catch {
			// gone meanwhile
		}
	}
	return out;
}

/** The threads' CPU-seconds between two threadCpu readings, largest first. */
export function threadCpuDiff(before: Map<string, number>, after: Map<string, number>): string {
	return [...after]
		.map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const)
		.filter(([, v]) => v >= 0.05)
		.sort((a, b) => b[1] - a[1])
		.map(([k, v]) => `${k} ${v.toFixed(1)}`)
		.join(', ');
}
