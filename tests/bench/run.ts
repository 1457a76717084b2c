/**
 * `npm run bench [-- --sizes 64,1024] [--runs 3] [--with-4g] [--zip64] [--only first-paint,…] [--cli-sizes 1024] [--cli-only]`
 *
 * Drives Debian's Chromium through the real UI against the production server (built first, then
 * run as `npm start` runs it, in a child process) and prints, per size, the medians of several
 * runs: upload and download-to-disk MiB/s (saved through the service worker, and through File
 * System Access as Chromium saves), peak RSS of the browser processes and of the server, and each
 * transfer's limit measured in the same run: the lesser of the in-browser AES-256-GCM rate and a
 * bare unencrypted transfer between the same browser and a bare Node HTTP server writing to /
 * reading from disk. `--zip64` adds a share of more than 4 GiB saved as one ZIP, checked with
 * `unzip`. Then the phases of phases.ts (first paint, server scale, streaming: time until a recipient holds the whole file, streaming vs upload-then-download); `--only <phase>,…` runs
 * just those, without the browser transfers. `--cli-sizes` (MiB, default 1024; 0 for none)
 * measures the `sealdrop` CLI against the bare transfer to the same server (tests/bench/cli.ts);
 * `--cli-only` runs only that. `--no-phases` skips the phases of phases.ts after the transfers;
 * `--no-build` measures the build already there. Beside the upload, the upload yardsticks of
 * yardsticks.ts and the CPU each transfer costs (browser and server, CPU-seconds per GiB).
 * `--upload-only` skips the downloads; `--variant-b <dir>` also uploads through a second server
 * serving the web app built into <dir> (SEALDROP_STATIC_DIR), alternating A B B A in each run.
 * `BENCH_THREADS=1` also prints each upload's CPU-seconds by Chromium process type and thread.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import puppeteer, { type Browser, type BrowserContext, type ElementHandle, type Page } from 'puppeteer-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.ts';
import { makeFile, sha256File } from '../e2e/helpers.ts';
import { startBareServer } from './bare-server.ts';
import { cliTable, measureCli, type CliRun } from './cli.ts';
import { PIPELINE_FINDINGS } from './findings.ts';
import { clickButton, textboxValue, waitForButton } from './page-actions.ts';
import { runPhases } from './phases.ts';
import { CpuMeter, descendants, PeakSampler } from './rss.ts';
import { startProductionServer } from './production-server.ts';
import { setBrowserPids, threadCpu, threadCpuDiff, yardstick, YARDSTICK_MODES } from './yardsticks.ts';

const MiB = 1024 * 1024;
const YARDSTICK_MAX_MIB = 1024;
const run = promisify(execFile);

const { values: args } = parseArgs({
	options: {
		sizes: { type: 'string', default: '64,1024' },
		runs: { type: 'string', default: '3' },
		'with-4g': { type: 'boolean', default: false },
		zip64: { type: 'boolean', default: false },
		'cli-sizes': { type: 'string', default: '1024' },
		'cli-only': { type: 'boolean', default: false },
		only: { type: 'string' },
		'no-phases': { type: 'boolean', default: false },
		'no-build': { type: 'boolean', default: false },
		'upload-only': { type: 'boolean', default: false },
		'variant-b': { type: 'string' }
	}
});
const cliSizes = args['cli-sizes']
	.split(',')
	.map(Number)
	.filter((n) => n > 0);
const sizes = args.sizes.split(',').map(Number);
if (args['with-4g'] && !sizes.includes(4096)) sizes.push(4096);
const runs = Math.max(1, Number(args.runs));

/** One way of uploading the file: its rate and the CPU it cost (browser, server) per GiB. */
interface UploadWay {
	mib_s: number;
	browser_cpu_s_gib: number;
	server_cpu_s_gib: number;
	/** Browser RSS growth, MiB (not measured for the yardsticks: 0). */
	growth_mib: number;
}

interface Run {
	/** Sealdrop (A, and B with --variant-b), the bare single PUT and the yardsticks. */
	uploads: Record<string, UploadWay>;
	upload_mib_s: number;
	download_mib_s: number;
	fsa_download_mib_s: number;
	upload_limit_mib_s: number;
	download_limit_mib_s: number;
	bare_upload_mib_s: number;
	bare_download_mib_s: number;
	passthrough_download_mib_s: number;
	sw_aes_download_mib_s: number;
	browser_peak_rss_mib: number;
	browser_rss_growth_mib: number;
	browser_upload_growth_mib: number;
	browser_download_growth_mib: number;
	browser_fsa_growth_mib: number;
	/** CPU seconds per GiB of the browser's processes: the save through the service worker, File System Access, the bare download. */
	download_cpu_s_gib: number;
	fsa_cpu_s_gib: number;
	bare_download_cpu_s_gib: number;
	server_peak_rss_mib: number;
}

// The server as `npm start` runs it, built from the current source.
if (!args['no-build']) {
	console.error('building…');
	await run('npm', ['run', 'build']);
}
if (args.only !== undefined) {
	await runPhases(args.only.split(','));
	process.exit(0);
}
const work = await mkdtemp(join(tmpdir(), 'sealdrop-bench-'));
const server = await startProductionServer(join(work, 'data'), {
	SEALDROP_MAX_SHARE_BYTES: String(8 * 1024 * MiB),
	SEALDROP_RATE_LIMIT_CREATE: 'off',
	SEALDROP_RATE_LIMIT_CLAIM: 'off',
	// One download through the service worker, one through File System Access.
	SEALDROP_DOWNLOAD_DEFAULT: '2'
});
const bare = await startBareServer(work);
const serverEnv = {
	SEALDROP_MAX_SHARE_BYTES: String(8 * 1024 * MiB),
	SEALDROP_RATE_LIMIT_CREATE: 'off',
	SEALDROP_RATE_LIMIT_CLAIM: 'off'
};
const serverB = args['variant-b']
	? await startProductionServer(join(work, 'data-b'), { ...serverEnv, SEALDROP_STATIC_DIR: args['variant-b'] })
	: undefined;
// Puppeteer with network monitoring off, not Playwright: Playwright always enables DevTools'
// Network domain, which copies every request body and buffers response bodies for the debugger.
// That doubled the browser's memory and halved byte-array uploads, so it measured DevTools, not
// Sealdrop. With monitoring off the browser behaves as it does for a user.
const browser = await puppeteer.launch({
	executablePath: CHROMIUM_PATH,
	args: CHROMIUM_ARGS,
	headless: true,
	networkEnabled: false,
	protocolTimeout: 0
});
const browserPids = () => descendants(process.pid, /chrom/i);
setBrowserPids(browserPids);

try {
	const crypto = await cryptoRate(browser);
	const results: { size_mib: number; crypto_mib_s: number; runs: Run[] }[] = [];
	for (const size of args['cli-only'] ? [] : sizes) {
		const { path: file, sha256 } = await makeFile(work, `bench-${size}.bin`, size * MiB);
		const sizeRuns: Run[] = [];
		for (let i = 0; i < runs; i++) {
			const run = await measure(browser, file, sha256, size);
			sizeRuns.push(run);
			console.error(
				`  ${size} MiB run ${i + 1}/${runs}: up ${run.upload_mib_s.toFixed(0)} MiB/s (${pct(run.upload_mib_s, run.upload_limit_mib_s)}), ` +
					`down ${run.download_mib_s.toFixed(0)} (${pct(run.download_mib_s, run.download_limit_mib_s)}), ` +
					`FSA ${run.fsa_download_mib_s.toFixed(0)} (${pct(run.fsa_download_mib_s, run.download_limit_mib_s)}), ` +
					`growth up/down/FSA ${[run.browser_upload_growth_mib, run.browser_download_growth_mib, run.browser_fsa_growth_mib].map((g) => g.toFixed(0)).join('/')} MiB, ` +
					`CPU-s/GiB down/FSA/bare ${[run.download_cpu_s_gib, run.fsa_cpu_s_gib, run.bare_download_cpu_s_gib].map((c) => c.toFixed(1)).join('/')}`
			);
		}
		await rm(file, { force: true });
		results.push({ size_mib: size, crypto_mib_s: crypto, runs: sizeRuns });
	}
	const zip64 = args.zip64 && !args['cli-only'] ? await zip64Case(browser) : undefined;
	const cliRows: CliRun[] = [];
	for (const size of cliSizes) {
		const list: CliRun[] = [];
		for (let i = 0; i < runs; i++) {
			list.push(await measureCli(server.url, work, size));
			console.error(
				`  CLI ${size} MiB run ${i + 1}/${runs}: send ${list.at(-1)!.cli_upload_mib_s.toFixed(0)} MiB/s, get ${list.at(-1)!.cli_download_mib_s.toFixed(0)} MiB/s`
			);
		}
		const m = (key: keyof CliRun) => median(list.map((r) => r[key]));
		cliRows.push({
			size_mib: size,
			cli_upload_mib_s: m('cli_upload_mib_s'),
			bare_put_mib_s: m('bare_put_mib_s'),
			cli_download_mib_s: m('cli_download_mib_s'),
			bare_get_mib_s: m('bare_get_mib_s'),
			cli_upload_peak_rss_mib: m('cli_upload_peak_rss_mib'),
			cli_download_peak_rss_mib: m('cli_download_peak_rss_mib')
		});
	}
	await report(results, crypto, zip64, cliRows);
} finally {
	await browser.close();
	await bare.close();
	server.process.kill('SIGTERM');
	serverB?.process.kill('SIGTERM');
	await rm(work, { recursive: true, force: true });
}
if (!args['cli-only'] && !args['no-phases']) await runPhases();

async function measure(browser: Browser, file: string, sha256: string, sizeMib: number): Promise<Run> {
	const { context, downloads } = await newContext(browser);
	const serverRss = new PeakSampler(() => [server.process.pid!]).start();
	const up = await uploadPhase(context, [file]);
	const way = (phase: Phase): UploadWay => ({
		mib_s: sizeMib / phase.seconds,
		browser_cpu_s_gib: (phase.browserCpu / sizeMib) * 1024,
		server_cpu_s_gib: (phase.serverCpu / sizeMib) * 1024,
		growth_mib: phase.growth / MiB
	});
	const uploads: Record<string, UploadWay> = {};
	if (serverB) {
		// A B B A: the machine's load drifts within a run; the mean of each pair cancels a linear drift.
		const b1 = await uploadPhase(context, [file], serverB);
		const b2 = await uploadPhase(context, [file], serverB);
		const a2 = await uploadPhase(context, [file]);
		const mean = (x: UploadWay, y: UploadWay): UploadWay => ({
			mib_s: (x.mib_s + y.mib_s) / 2,
			browser_cpu_s_gib: (x.browser_cpu_s_gib + y.browser_cpu_s_gib) / 2,
			server_cpu_s_gib: (x.server_cpu_s_gib + y.server_cpu_s_gib) / 2,
			growth_mib: Math.max(x.growth_mib, y.growth_mib)
		});
		uploads['Sealdrop A'] = mean(way(up), way(a2));
		uploads['Sealdrop B'] = mean(way(b1), way(b2));
	} else uploads['Sealdrop'] = way(up);
	const [name, bytes] = [basename(file), statSync(file).size];
	const down = args['upload-only'] ? undefined : await downloadPhase(context, up.link, 'Download', downloads, name, bytes);
	const fsa = args['upload-only'] ? undefined : await fileSystemAccessPhase(browser.defaultBrowserContext(), up.link, name, bytes);
	const serverPeak = serverRss.stop();
	if (down) {
		if ((await sha256File(down.saved)) !== sha256) throw new Error('Downloaded file differs from the original');
		await rm(down.saved);
	}

	const bareUp = await bareUpload(context, file);
	uploads['bare: one PUT of the File'] = bareUp;
	// At 4 GiB a yardstick's fetch failed ("Failed to fetch"): they send from one worker with no
	// recycling, so their parts pile up in the browser. They measure the ceiling up to 1 GiB.
	for (const mode of sizeMib <= YARDSTICK_MAX_MIB ? YARDSTICK_MODES : []) {
		const { mibPerSecond, cpu } = await yardstick(context, bare.url, mode, file, bareCpu);
		uploads[`yardstick ${mode}`] = {
			mib_s: mibPerSecond,
			browser_cpu_s_gib: (cpu.browser / sizeMib) * 1024,
			server_cpu_s_gib: (cpu.server / sizeMib) * 1024,
			growth_mib: 0
		};
	}
	const noSave: SaveRate = { mibPerSecond: 0, cpu: 0 };
	const bareDown = args['upload-only'] ? noSave : await bareDownload(context, file, downloads);
	const gib = bytes / 1024 ** 3;
	const passthroughDown = args['upload-only'] ? 0 : (await serviceWorkerSave(context, file, downloads, 'pass')).mibPerSecond;
	const aesSaveDown = args['upload-only'] ? 0 : (await serviceWorkerSave(context, file, downloads, 'aes')).mibPerSecond;
	await context.close();
	const noPhase: Phase = { seconds: Infinity, peak: 0, growth: 0, browserCpu: 0, serverCpu: 0 };
	const [d, f] = [down ?? noPhase, fsa ?? noPhase];

	const crypto = await cryptoRate(browser);
	return {
		uploads,
		upload_mib_s: sizeMib / up.seconds,
		download_mib_s: sizeMib / d.seconds,
		fsa_download_mib_s: sizeMib / f.seconds,
		bare_upload_mib_s: bareUp.mib_s,
		bare_download_mib_s: bareDown.mibPerSecond,
		passthrough_download_mib_s: passthroughDown,
		sw_aes_download_mib_s: aesSaveDown,
		upload_limit_mib_s: Math.min(crypto, bareUp.mib_s),
		download_limit_mib_s: Math.min(crypto, bareDown.mibPerSecond),
		browser_peak_rss_mib: Math.max(up.peak, d.peak, f.peak) / MiB,
		browser_rss_growth_mib: Math.max(up.growth, d.growth, f.growth) / MiB,
		browser_upload_growth_mib: up.growth / MiB,
		browser_download_growth_mib: d.growth / MiB,
		browser_fsa_growth_mib: f.growth / MiB,
		download_cpu_s_gib: d.browserCpu / gib,
		fsa_cpu_s_gib: f.browserCpu / gib,
		bare_download_cpu_s_gib: bareDown.cpu / gib,
		server_peak_rss_mib: serverPeak / MiB
	};
}

/** A fresh browser context whose downloads land in their own folder. */
async function newContext(browser: Browser): Promise<{ context: BrowserContext; downloads: string }> {
	const downloads = join(work, 'downloads');
	await rm(downloads, { recursive: true, force: true });
	await mkdir(downloads);
	const context = await browser.createBrowserContext({ downloadBehavior: { policy: 'allow', downloadPath: downloads } });
	return { context, downloads };
}

/**
 * Time, browser memory and CPU of one transfer; growth is counted from its start, its page
 * already open. `cpu`: seconds (user + system) of the browser's processes, which on this loaded
 * machine say more than the rate does: the transfers are CPU-bound.
 */
interface Phase {
	seconds: number;
	peak: number;
	growth: number;
	/** CPU-seconds of the browser's processes and of `serverPid` during the phase. */
	browserCpu: number;
	serverCpu: number;
}

async function timed(work: () => Promise<void>, serverPid = server.process.pid!): Promise<Phase> {
	const rss = new PeakSampler(browserPids);
	const baseline = rss.current();
	rss.start();
	const [browserCpu, serverCpu] = [new CpuMeter(browserPids).start(), new CpuMeter(() => [serverPid]).start()];
	const threads = process.env.BENCH_THREADS ? threadCpu(browserPids()) : undefined;
	const t = performance.now();
	await work();
	const seconds = (performance.now() - t) / 1000;
	if (threads) console.error(`  threads: ${threadCpuDiff(threads, threadCpu(browserPids()))}`);
	const peak = rss.stop();
	return { seconds, peak, growth: peak - baseline, browserCpu: browserCpu.stop(), serverCpu: serverCpu.stop() };
}

/**
 * A CPU meter for a transfer to the bare server, which runs in this process: its reading
 * includes the bench's own work meanwhile (the RSS sampler scans /proc every 100 ms).
 */
function bareCpu(): () => { browser: number; server: number } {
	const browserCpu = new CpuMeter(browserPids).start();
	const own = process.cpuUsage();
	return () => {
		const used = process.cpuUsage(own);
		return { browser: browserCpu.stop(), server: (used.user + used.system) / 1e6 };
	};
}

/** Picks `files` on the upload page and uploads them through the UI; returns the share link. */
async function uploadPhase(context: BrowserContext, files: string[], to = server): Promise<Phase & { link: string }> {
	const page = await context.newPage();
	await page.goto(to.url);
	// The picker appears once the page knows the server's settings.
	// A file picked before the page is hydrated is lost (seen on a fresh origin): pick again
	// until the page lists the first file.
	for (;;) {
		const input = (await page.waitForSelector('input[type=file]')) as ElementHandle<HTMLInputElement>;
		await input.uploadFile(...files);
		const listed = await page
			.waitForFunction((name) => document.body.textContent?.includes(name), { timeout: 5000 }, basename(files[0]!))
			.catch(() => null);
		if (listed) break;
	}
	let link = '';
	const phase = await timed(async () => {
		await clickButton(page, 'Encrypt and upload');
		link = await textboxValue(page, 'Share link');
	}, to.process.pid);
	await page.close();
	return { ...phase, link };
}

/** Opens the link, clicks `button` and waits until Chromium has saved `name` into `downloads`. */
async function downloadPhase(
	context: BrowserContext,
	link: string,
	button: string,
	downloads: string,
	name: string,
	size?: number
): Promise<Phase & { saved: string }> {
	const page = await context.newPage();
	// Saving goes through the service worker into Chromium's downloads, as in Firefox and Safari.
	await page.evaluateOnNewDocument(() => {
		const w = window as unknown as Record<string, unknown>;
		delete w.showSaveFilePicker;
		delete w.showDirectoryPicker;
	});
	await page.goto(link);
	await waitForButton(page, button);
	let saved = '';
	const phase = await timed(async () => {
		await clickButton(page, button);
		saved = await downloaded(downloads, name, size);
	});
	await page.close();
	return { ...phase, saved };
}

/**
 * The same share saved the way Chromium saves it for a user: File System Access. Its picker
 * cannot be automated, so it hands over a file of the origin-private file system instead: the
 * same FileSystemFileHandle and writable stream, kept in the profile rather than where the user
 * chose. Done when the page says the file is saved and verified (every record authenticated).
 * Pass the default context: an incognito one keeps that file system in memory, with a small quota.
 */
async function fileSystemAccessPhase(context: BrowserContext, link: string, name: string, size: number): Promise<Phase> {
	const page = await context.newPage();
	// Assigned, not declared: tsx names declared functions with a helper the page does not have.
	await page.evaluateOnNewDocument(() => {
		(window as unknown as Record<string, unknown>).showSaveFilePicker = async ({ suggestedName }: { suggestedName: string }) =>
			(await navigator.storage.getDirectory()).getFileHandle(suggestedName, { create: true });
	});
	await page.goto(link);
	await waitForButton(page, 'Download');
	const phase = await timed(async () => {
		await clickButton(page, 'Download');
		await page.waitForFunction(() => document.querySelector('.saved, [role=alert]'), { polling: 'mutation', timeout: 0 });
	});
	const saved = await page.evaluate(async (name) => {
		const dir = await navigator.storage.getDirectory();
		const bytes = (await (await dir.getFileHandle(name)).getFile()).size;
		await dir.removeEntry(name);
		return { bytes, status: document.querySelector('.saved')?.textContent ?? document.querySelector('[role=alert]')?.textContent };
	}, name);
	if (saved.bytes !== size || !saved.status?.startsWith('Saved and verified'))
		throw new Error(`File System Access save failed: ${JSON.stringify(saved)}`);
	await page.close();
	return phase;
}

/**
 * Clicks the button named `name`. Plain DOM queries, not Puppeteer's ARIA selectors: those turn on
 * the page's accessibility tree, which then follows every progress update; on the upload page that
 * cost the main thread about 3 s per GiB (CPU profile), a cost the bench added and users do not pay.
 */

/**
 * Waits until Chromium has finished writing `name` into `dir`: it streams into a .crdownload
 * file and renames it when the download is complete.
 */
async function downloaded(dir: string, name: string, size?: number): Promise<string> {
	const path = join(dir, name);
	for (;;) {
		const names = await readdir(dir);
		const done = names.includes(name) && !names.some((n) => n.endsWith('.crdownload'));
		if (done && (size === undefined || statSync(path).size === size)) return path;
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

/**
 * `--zip64`: a 4 GiB + 12 345-byte file and a small one uploaded through the UI, then saved with
 * "Download all as ZIP"; `unzip` must accept the ZIP64 archive and give back the exact bytes.
 */
async function zip64Case(browser: Browser): Promise<Zip64Result> {
	const big = await makeFile(work, 'zip64-big.bin', 4 * 1024 * MiB + 12_345);
	const small = await makeFile(work, 'zip64-small.txt', 100);
	const { context, downloads } = await newContext(browser);
	try {
		const up = await uploadPhase(context, [big.path, small.path]);
		await rm(big.path);
		const down = await downloadPhase(context, up.link, 'Download all as ZIP', downloads, 'sealdrop-files.zip');
		const tested = await run('unzip', ['-tq', down.saved]);
		const extracted = await unzippedSha256(down.saved, 'zip64-big.bin');
		const sizeMib = statSync(down.saved).size / MiB;
		await rm(down.saved);
		return {
			zip_mib: sizeMib,
			upload_mib_s: sizeMib / up.seconds,
			download_mib_s: sizeMib / down.seconds,
			browser_rss_growth_mib: Math.max(up.growth, down.growth) / MiB,
			unzip_ok: tested.stdout.includes('No errors detected') && extracted === big.sha256
		};
	} finally {
		await context.close();
	}
}

interface Zip64Result {
	zip_mib: number;
	upload_mib_s: number;
	download_mib_s: number;
	browser_rss_growth_mib: number;
	unzip_ok: boolean;
}

/** sha256 of one entry, streamed out of the archive by `unzip -p`. */
async function unzippedSha256(zip: string, entry: string): Promise<string> {
	const child = spawn('unzip', ['-p', zip, entry], { stdio: ['ignore', 'pipe', 'inherit'] });
	const hash = createHash('sha256');
	for await (const chunk of child.stdout) hash.update(chunk as Buffer);
	return hash.digest('hex');
}

/** The same file, unencrypted, from the same browser to a server that only writes it to disk. */
async function bareUpload(context: BrowserContext, file: string): Promise<UploadWay> {
	const page = await context.newPage();
	await page.goto(bare.url);
	const input = (await page.$('input[type=file]')) as ElementHandle<HTMLInputElement>;
	await input.uploadFile(file);
	const cpu = bareCpu();
	const mibPerSecond = await page.evaluate(async () => {
		const f = document.querySelector('input')!.files![0]!;
		const t0 = performance.now();
		const res = await fetch('/upload', { method: 'PUT', body: f });
		if (!res.ok) throw new Error(`bare upload ${res.status}`);
		return f.size / 1048576 / ((performance.now() - t0) / 1000);
	});
	const used = cpu();
	await page.close();
	const gib = statSync(file).size / 1024 ** 3;
	return { mib_s: mibPerSecond, browser_cpu_s_gib: used.browser / gib, server_cpu_s_gib: used.server / gib, growth_mib: 0 };
}

/** The same file, unencrypted, from a bare server's disk into the browser's downloads. */
async function bareDownload(context: BrowserContext, file: string, downloads: string): Promise<SaveRate> {
	const page = await context.newPage();
	await page.goto(bare.url);
	const start = () =>
		page.evaluate(
			(href) => {
				const a = document.createElement('a');
				a.href = href;
				document.body.append(a);
				a.click();
			},
			`/file/${encodeURIComponent(basename(file))}`
		);
	return saveRate(page, start, downloads, 'bare.bin', statSync(file).size);
}

interface SaveRate {
	mibPerSecond: number;
	/** CPU seconds of the browser's processes. */
	cpu: number;
}

/** MiB/s from `start` until Chromium has saved `name` (`size` bytes) into `downloads`; closes the page. */
async function saveRate(page: Page, start: () => Promise<unknown>, downloads: string, name: string, size: number): Promise<SaveRate> {
	const cpu = new CpuMeter(browserPids).start();
	const t0 = performance.now();
	await start();
	const saved = await downloaded(downloads, name, size);
	const seconds = (performance.now() - t0) / 1000;
	const used = cpu.stop();
	await rm(saved);
	await page.close();
	return { mibPerSecond: size / MiB / seconds, cpu: used };
}

/**
 * The same file fetched by a service worker from the bare server and streamed into the browser's
 * downloads (see SAVING_WORKER): `pass` untouched, what any page-mediated save reaches with no
 * crypto at all; `aes` through one AES-256-GCM pass, the fewest steps a decrypting save can take.
 * Not the limit (the issue defines that as the download manager's own transfer) but where the gap
 * between the two comes from.
 */
async function serviceWorkerSave(context: BrowserContext, file: string, downloads: string, mode: 'pass' | 'aes'): Promise<SaveRate> {
	const page = await context.newPage();
	await page.goto(bare.url);
	// `serviceWorker.ready` would wait forever: the page itself is outside the worker's scope.
	await page.evaluate(async () => {
		const reg = await navigator.serviceWorker.register('/saving-worker.js', { scope: '/_sw/' });
		const worker = reg.active ?? reg.installing ?? reg.waiting;
		if (worker && worker.state !== 'activated') {
			await new Promise<void>((resolve) => worker.addEventListener('statechange', () => worker.state === 'activated' && resolve()));
		}
	});
	const start = () =>
		page.evaluate(
			(href) => {
				const frame = document.createElement('iframe');
				frame.src = href;
				document.body.append(frame);
			},
			`/_sw/${mode}/${encodeURIComponent(basename(file))}`
		);
	return saveRate(page, start, downloads, `${mode}.bin`, statSync(file).size);
}

/** WebCrypto AES-256-GCM in this browser on 64 KiB records, the best of sequential and 4 in flight. */
async function cryptoRate(browser: Browser): Promise<number> {
	const page = await browser.newPage();
	await page.goto(server.url);
	// No named functions inside: tsx would wrap them in a helper the page does not have.
	const rate = await page.evaluate(async () => {
		const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
		const record = crypto.getRandomValues(new Uint8Array(65536));
		const total = 256 * 1048576;
		const count = total / record.byteLength;
		const iv = new Uint8Array(12);
		let best = 0;
		for (const inFlight of [1, 4]) {
			const t0 = performance.now();
			let next = 0;
			await Promise.all(
				Array.from({ length: inFlight }, async () => {
					while (next < count) {
						next++;
						await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, record);
					}
				})
			);
			best = Math.max(best, total / 1048576 / ((performance.now() - t0) / 1000));
		}
		return best;
	});
	await page.close();
	return rate;
}

function pct(rate: number, limit: number): string {
	return `${((rate / limit) * 100).toFixed(0)} %`;
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function report(
	results: { size_mib: number; crypto_mib_s: number; runs: Run[] }[],
	crypto: number,
	zip64: Zip64Result | undefined,
	cli: CliRun[]
) {
	const machine = {
		cpu: cpus()[0]?.model ?? 'unknown',
		cores: cpus().length,
		memory_gib: Math.round(totalmem() / 1024 ** 3),
		node: process.version,
		browser: await browser.version(),
		runs_per_size: runs
	};
	const rows = results.map(({ size_mib, runs: list, crypto_mib_s }) => {
		const m = (key: Exclude<keyof Run, 'uploads'>) => median(list.map((r) => r[key]));
		return {
			size_mib,
			upload_mib_s: m('upload_mib_s'),
			download_mib_s: m('download_mib_s'),
			upload_limit_mib_s: m('upload_limit_mib_s'),
			download_limit_mib_s: m('download_limit_mib_s'),
			crypto_mib_s,
			bare_upload_mib_s: m('bare_upload_mib_s'),
			bare_download_mib_s: m('bare_download_mib_s'),
			passthrough_download_mib_s: m('passthrough_download_mib_s'),
			sw_aes_download_mib_s: m('sw_aes_download_mib_s'),
			browser_peak_rss_mib: m('browser_peak_rss_mib'),
			browser_rss_growth_mib: m('browser_rss_growth_mib'),
			browser_upload_growth_mib: m('browser_upload_growth_mib'),
			browser_download_growth_mib: m('browser_download_growth_mib'),
			browser_fsa_growth_mib: m('browser_fsa_growth_mib'),
			fsa_download_mib_s: m('fsa_download_mib_s'),
			download_cpu_s_gib: m('download_cpu_s_gib'),
			fsa_cpu_s_gib: m('fsa_cpu_s_gib'),
			bare_download_cpu_s_gib: m('bare_download_cpu_s_gib'),
			server_peak_rss_mib: m('server_peak_rss_mib'),
			uploads: Object.fromEntries(
				Object.keys(list[0]!.uploads).map((name) => [
					name,
					{
						mib_s: median(list.map((r) => r.uploads[name]!.mib_s)),
						browser_cpu_s_gib: median(list.map((r) => r.uploads[name]!.browser_cpu_s_gib)),
						server_cpu_s_gib: median(list.map((r) => r.uploads[name]!.server_cpu_s_gib)),
						growth_mib: median(list.map((r) => r.uploads[name]!.growth_mib))
					}
				])
			)
		};
	});
	console.log(
		`\nSealdrop benchmark — ${machine.cpu}, ${machine.cores} cores, ${machine.memory_gib} GiB, Node ${machine.node}, Chromium ${machine.browser}`
	);
	console.log(`medians of ${runs} run(s); in-browser AES-256-GCM (64 KiB records): ${crypto.toFixed(0)} MiB/s\n`);
	const table = rows.map((r) => ({
		size: `${r.size_mib} MiB`,
		'upload MiB/s': r.upload_mib_s.toFixed(0),
		'up limit': r.upload_limit_mib_s.toFixed(0),
		'up %': `${((r.upload_mib_s / r.upload_limit_mib_s) * 100).toFixed(0)} %`,
		'download MiB/s': r.download_mib_s.toFixed(0),
		'down limit': r.download_limit_mib_s.toFixed(0),
		'down %': `${((r.download_mib_s / r.download_limit_mib_s) * 100).toFixed(0)} %`,
		'FSA download MiB/s': r.fsa_download_mib_s.toFixed(0),
		'SW pass / SW AES': `${r.passthrough_download_mib_s.toFixed(0)} / ${r.sw_aes_download_mib_s.toFixed(0)} (${((r.sw_aes_download_mib_s / r.download_limit_mib_s) * 100).toFixed(0)} %)`,
		'browser peak MiB': r.browser_peak_rss_mib.toFixed(0),
		'growth up / down / FSA MiB': [r.browser_upload_growth_mib, r.browser_download_growth_mib, r.browser_fsa_growth_mib]
			.map((g) => g.toFixed(0))
			.join(' / '),
		'CPU-s/GiB down / FSA / bare': [r.download_cpu_s_gib, r.fsa_cpu_s_gib, r.bare_download_cpu_s_gib].map((c) => c.toFixed(1)).join(' / '),
		'server peak MiB': r.server_peak_rss_mib.toFixed(0)
	}));
	if (table.length > 0) console.table(table);
	for (const { size_mib, runs: list } of results) {
		const bareRate = median(list.map((r) => r.uploads['bare: one PUT of the File']!.mib_s));
		console.log(
			`\nUpload of ${size_mib} MiB beside its yardsticks (yardsticks.ts; CPU-s per GiB; the bare server's CPU includes the bench's):`
		);
		console.table(
			Object.keys(list[0]!.uploads).map((name) => {
				const m = (key: keyof UploadWay) => median(list.map((r) => r.uploads[name]![key]));
				return {
					upload: name,
					'MiB/s': m('mib_s').toFixed(0),
					'% of bare': `${((m('mib_s') / bareRate) * 100).toFixed(0)} %`,
					'browser CPU-s/GiB': m('browser_cpu_s_gib').toFixed(1),
					'server CPU-s/GiB': m('server_cpu_s_gib').toFixed(1),
					'browser growth MiB': m('growth_mib') > 0 ? m('growth_mib').toFixed(0) : ''
				};
			})
		);
	}
	if (cli.length > 0) {
		console.log('\nsealdrop CLI (packaged bundle) beside a bare PUT/GET of the same bytes to the same server:');
		console.table(cliTable(cli));
	}
	console.log(
		'SW pass / SW AES: the same bytes streamed by a service worker into downloads, untouched / through one AES-GCM pass\n' +
			'(the fewest steps a decrypting save can take; in brackets, against the download limit). See serviceWorkerSave.\n' +
			'download: saved through the service worker (Firefox, Safari, mobile); FSA: through File System Access (Chromium).\n' +
			'CPU-s/GiB: CPU seconds (user + system) of all browser processes per GiB saved, from /proc (see CpuMeter).'
	);
	if (table.length > 0) console.log(`\n${PIPELINE_FINDINGS.join('\n')}`);
	await mkdir('bench-results', { recursive: true });
	if (zip64) {
		if (!zip64.unzip_ok) process.exitCode = 1;
		console.log(
			`\nZIP64: ${zip64.zip_mib.toFixed(0)} MiB archive (a file over 4 GiB and a small one) — upload ` +
				`${zip64.upload_mib_s.toFixed(0)} MiB/s, "Download all as ZIP" ${zip64.download_mib_s.toFixed(0)} MiB/s, ` +
				`browser growth ${zip64.browser_rss_growth_mib.toFixed(0)} MiB, unzip: ${zip64.unzip_ok ? 'no errors, bytes match' : 'FAILED'}`
		);
	}
	await writeFile(
		'bench-results/latest.json',
		JSON.stringify({ machine, runs: rows, ...(zip64 && { zip64 }), ...(cli.length > 0 && { cli }) }, null, 2) + '\n'
	);
	console.log('\nWritten to bench-results/latest.json');
}
