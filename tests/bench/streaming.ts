/**
 * `npm run bench -- --only streaming` (SEALDROP_BENCH_STREAM_MIB, default 1024): how long until a
 * recipient holds the whole file, from the sender's click on "Encrypt and upload". Once with the
 * recipient starting when the upload has ended (upload, then download), once with the recipient
 * opening the link the upload page shows while it sends (streaming). Both through the real UI in
 * Chromium, saving through the service worker into Chromium's downloads, against the production
 * server; the recipient's file is checked by sha256.
 */
import { statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type BrowserContext, type ElementHandle } from 'puppeteer-core';
import { makeFile, sha256File } from '../e2e/helpers.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.ts';
import { clickButton, textboxValue, waitForButton } from './page-actions.ts';
import { startProductionServer } from './production-server.ts';

const MiB = 1024 * 1024;

export async function streamingPhase(): Promise<{ sequentialSeconds: number; streamingSeconds: number }> {
	const sizeMib = Number(process.env.SEALDROP_BENCH_STREAM_MIB ?? 1024);
	const work = await mkdtemp(join(tmpdir(), 'sealdrop-bench-stream-'));
	const server = await startProductionServer(join(work, 'data'), { SEALDROP_RATE_LIMIT_CREATE: 'off', SEALDROP_RATE_LIMIT_CLAIM: 'off' });
	const browser = await puppeteer.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, protocolTimeout: 0 });
	try {
		const file = await makeFile(work, 'stream.bin', sizeMib * MiB);
		const once = async (streaming: boolean) => {
			const sender = await browser.createBrowserContext();
			const downloads = join(work, streaming ? 'streamed' : 'sequential');
			await mkdir(downloads, { recursive: true });
			const recipient = await browser.createBrowserContext({ downloadBehavior: { policy: 'allow', downloadPath: downloads } });
			const page = await sender.newPage();
			await page.goto(server.url);
			const input = await page.waitForSelector('input[type=file]');
			await (input as ElementHandle<HTMLInputElement>).uploadFile(file.path);
			const t = performance.now();
			await clickButton(page, 'Encrypt and upload');
			// Streaming: the link shown while sending; otherwise the one shown once the upload is done.
			// When the sender's upload ends: the finished share's link appears.
			const uploaded = textboxValue(page, 'Share link').then(() => (performance.now() - t) / 1000);
			const link = streaming ? await textboxValue(page, 'Link, ready now') : await textboxValue(page, 'Share link');
			if (!streaming) await uploaded;
			await download(recipient, link, downloads);
			const seconds = (performance.now() - t) / 1000;
			const saved = join(downloads, 'stream.bin');
			if ((await sha256File(saved)) !== file.sha256) throw new Error('the recipient saved other bytes');
			const uploadedAt = await uploaded;
			await Promise.all([sender.close(), recipient.close()]);
			await rm(downloads, { recursive: true, force: true });
			return { seconds, uploadedAt };
		};
		const sequential = await once(false);
		const streamed = await once(true);
		const mibs = (s: number) => (sizeMib / s).toFixed(0);
		console.log(`\nStream while uploading, ${sizeMib} MiB: time from the sender's click until the recipient holds the whole file`);
		console.log(
			`  upload, then download   ${sequential.seconds.toFixed(1)} s (upload ${sequential.uploadedAt.toFixed(1)} s; ${mibs(sequential.seconds)} MiB/s end to end)`
		);
		console.log(
			`  streaming               ${streamed.seconds.toFixed(1)} s (upload ${streamed.uploadedAt.toFixed(1)} s; ${mibs(streamed.seconds)} MiB/s end to end)`
		);
		console.log("  (sender and recipient share this machine's cores: encrypting and decrypting at once slow each other)");
		console.log(`  ratio streaming / sequential: ${(streamed.seconds / sequential.seconds).toFixed(2)}`);
		return { sequentialSeconds: sequential.seconds, streamingSeconds: streamed.seconds };
	} finally {
		await browser.close();
		await server.stop();
		await rm(work, { recursive: true, force: true });
	}
}

/** Opens the link in the recipient's context and saves the one file through the service worker. */
async function download(context: BrowserContext, link: string, downloads: string): Promise<void> {
	const page = await context.newPage();
	await page.evaluateOnNewDocument(() => {
		const w = window as unknown as Record<string, unknown>;
		delete w.showSaveFilePicker;
		delete w.showDirectoryPicker;
	});
	await page.goto(link);
	await waitForButton(page, 'Download');
	await clickButton(page, 'Download');
	await page.waitForFunction(() => document.querySelector('.saved, [role=alert]'), { polling: 'mutation', timeout: 0 });
	const failed = await page.evaluate(() => document.querySelector('[role=alert]')?.textContent ?? null);
	if (failed) throw new Error(`the recipient's download failed: ${failed}`);
	// Chromium renames the .crdownload once the last byte is written.
	for (;;) {
		const names = await readdir(downloads);
		if (names.includes('stream.bin') && !names.some((n) => n.endsWith('.crdownload')) && statSync(join(downloads, 'stream.bin')).size > 0)
			break;
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
	await page.close();
}
