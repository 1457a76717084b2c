/**
 * The `sealdrop` CLI against the production server, beside the bare transfer: the same bytes PUT
 * (in the same parts, as many in flight) and GET unencrypted by a plain Node HTTP client to the
 * same server, measured in the same run. The CLI runs as users run it: the packaged bundle
 * (packages/cli/sealdrop.mjs, built by `npm run build`) in its own process, whose peak RSS is sampled.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ApiClient } from '../../src/lib/api/client.ts';
import { DEFAULT_PARALLEL_PARTS } from '../../src/lib/transfer/upload.ts';
import { runPool } from '../../src/lib/transfer/retry.ts';
import { createBody } from '../server/helpers.ts';
import { makeFile, sha256File } from '../e2e/helpers.ts';
import { PeakSampler } from './rss.ts';

const MiB = 1024 * 1024;
const CLI = 'packages/cli/sealdrop.mjs';

export interface CliRun {
	size_mib: number;
	cli_upload_mib_s: number;
	bare_put_mib_s: number;
	cli_download_mib_s: number;
	bare_get_mib_s: number;
	cli_upload_peak_rss_mib: number;
	cli_download_peak_rss_mib: number;
}

/** Runs the packaged CLI; resolves with its standard output, peak RSS and seconds. */
async function cli(args: string[], env: Record<string, string>): Promise<{ stdout: string; peak: number; seconds: number }> {
	const t0 = performance.now();
	const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
	const rss = new PeakSampler(() => (child.pid ? [child.pid] : [])).start(50);
	let stdout = '';
	child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
	const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
	const peak = rss.stop();
	if (code !== 0) throw new Error(`sealdrop ${args[0]} exited with ${code}`);
	return { stdout, peak, seconds: (performance.now() - t0) / 1000 };
}

/** The same bytes, unencrypted, as one share: PUT in parts (as many in flight as the CLI), then one GET. */
async function bare(server: string, file: string, size: number, out: string): Promise<{ put: number; get: number }> {
	const api = new ApiClient(server);
	const config = await api.config();
	const partSize = Math.max(config.partSize.preferred, Math.ceil(size / config.maxParts));
	const tokens = { owner: randomBytes(32), read: randomBytes(32) };
	const created = await api.createShare(createBody({ size, partSize, maxDownloads: 1 }, tokens));
	const owner = tokens.owner.toString('base64url');
	const t0 = performance.now();
	await runPool(
		Array.from({ length: created.parts }, (_, n) => n),
		DEFAULT_PARALLEL_PARTS,
		async (n) => {
			const end = Math.min(size, (n + 1) * partSize);
			const res = await fetch(`${server}/api/v1/shares/${created.id}/parts/${n}`, {
				method: 'PUT',
				headers: {
					authorization: `Bearer ${owner}`,
					'content-type': 'application/octet-stream',
					'content-length': String(end - n * partSize)
				},
				body: Readable.toWeb(createReadStream(file, { start: n * partSize, end: end - 1 })) as ReadableStream,
				duplex: 'half'
			} as RequestInit);
			if (!res.ok) throw new Error(`bare PUT ${res.status}`);
			await res.arrayBuffer();
		}
	);
	const put = size / MiB / ((performance.now() - t0) / 1000);
	await api.complete(created.id, owner);
	const { ticket } = await api.claim(created.id, tokens.read.toString('base64url'));
	const t1 = performance.now();
	const res = await api.blob(created.id, ticket, 0, size);
	await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(out));
	const get = size / MiB / ((performance.now() - t1) / 1000);
	await rm(out);
	return { put, get };
}

/** One run at `sizeMib`: CLI send and get, then the bare PUT and GET of the same file. */
export async function measureCli(server: string, work: string, sizeMib: number): Promise<CliRun> {
	const { path: file, sha256 } = await makeFile(work, `cli-bench-${sizeMib}.bin`, sizeMib * MiB);
	const env = { XDG_CONFIG_HOME: join(work, 'cli-config'), SEALDROP_SERVER: server };
	const outDir = join(work, 'cli-out');
	await rm(outDir, { recursive: true, force: true });
	await mkdir(outDir);
	try {
		const up = await cli(['send', file, '--quiet', '--json'], env);
		const { link } = JSON.parse(up.stdout) as { link: string };
		const down = await cli(['get', link, '-o', outDir, '--quiet'], env);
		const saved = join(outDir, `cli-bench-${sizeMib}.bin`);
		if ((await sha256File(saved)) !== sha256) throw new Error('The CLI downloaded different bytes');
		await rm(saved);
		const b = await bare(server, file, sizeMib * MiB, join(work, 'bare-get.bin'));
		return {
			size_mib: sizeMib,
			cli_upload_mib_s: sizeMib / up.seconds,
			bare_put_mib_s: b.put,
			cli_download_mib_s: sizeMib / down.seconds,
			bare_get_mib_s: b.get,
			cli_upload_peak_rss_mib: up.peak / MiB,
			cli_download_peak_rss_mib: down.peak / MiB
		};
	} finally {
		await rm(file, { force: true });
	}
}

/** The CLI rows of the report: MiB/s, ratio to the bare transfer (target ≥ 80 %), peak RSS (target < 150 MiB). */
export function cliTable(rows: CliRun[]): Record<string, string>[] {
	const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(0)} %`;
	return rows.map((r) => ({
		size: `${r.size_mib} MiB`,
		'CLI send MiB/s': r.cli_upload_mib_s.toFixed(0),
		'bare PUT MiB/s': r.bare_put_mib_s.toFixed(0),
		'send %': pct(r.cli_upload_mib_s, r.bare_put_mib_s),
		'CLI get MiB/s': r.cli_download_mib_s.toFixed(0),
		'bare GET MiB/s': r.bare_get_mib_s.toFixed(0),
		'get %': pct(r.cli_download_mib_s, r.bare_get_mib_s),
		'CLI peak RSS send / get MiB': `${r.cli_upload_peak_rss_mib.toFixed(0)} / ${r.cli_download_peak_rss_mib.toFixed(0)}`
	}));
}
