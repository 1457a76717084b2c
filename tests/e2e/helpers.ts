import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, type BrowserContext, type Download, type Page } from '@playwright/test';

export interface TestFile {
	path: string;
	name: string;
	sha256: string;
	marker: string;
}

/** A file of random bytes with a readable marker at its start, so leaks of plaintext can be grepped. */
export async function makeFile(dir: string, name: string, size: number): Promise<TestFile> {
	const marker = `SEALDROP-PLAINTEXT-${name}-${randomBytes(6).toString('hex')}`;
	const path = join(dir, name);
	const hash = createHash('sha256');
	await mkdir(dir, { recursive: true });
	const out = await open(path, 'w');
	try {
		// Written in slices so that a 1 GiB test file does not sit in memory.
		for (let written = 0; written < size;) {
			const chunk = randomBytes(Math.min(8 << 20, size - written));
			if (written === 0) chunk.write(marker, 0, 'utf8');
			await out.write(chunk);
			hash.update(chunk);
			written += chunk.byteLength;
		}
	} finally {
		await out.close();
	}
	return { path, name, marker, sha256: hash.digest('hex') };
}

export async function sha256File(path: string): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
	return hash.digest('hex');
}

/** Hides the File System Access pickers, so saving goes through a download the test can catch. */
export async function withoutFilePickers(context: BrowserContext): Promise<void> {
	await context.addInitScript(() => {
		const w = window as unknown as Record<string, unknown>;
		delete w.showSaveFilePicker;
		delete w.showDirectoryPicker;
	});
}

/** Uploads through the UI and returns the share link. */
export async function uploadThroughUi(
	page: Page,
	baseUrl: string,
	files: string[],
	options: { downloads?: string; expiry?: string; password?: string; note?: string; remember?: boolean } = {}
): Promise<string> {
	await page.goto(baseUrl);
	if (files.length > 0) await page.getByLabel('Choose files', { exact: true }).setInputFiles(files);
	if (options.downloads) await page.getByLabel('Download limit').selectOption({ label: options.downloads });
	if (options.expiry) await page.getByLabel('Expires after').selectOption({ label: options.expiry });
	if (options.password) await page.getByLabel('Password (optional)').fill(options.password);
	if (options.note !== undefined) await page.getByLabel(/^Message/).fill(options.note);
	if (options.remember === false) await page.getByLabel('Remember in this browser').uncheck();
	await page.getByRole('button', { name: 'Encrypt and upload' }).click();
	const link = page.getByLabel('Share link');
	await expect(link).toBeVisible({ timeout: 120_000 });
	return link.inputValue();
}

/** Clicks `button` and collects the `count` downloads it starts. */
export async function collectDownloads(page: Page, count: number, click: () => Promise<void>): Promise<Download[]> {
	const downloads: Download[] = [];
	const done = new Promise<void>((resolve) => {
		page.on('download', (d) => {
			downloads.push(d);
			if (downloads.length === count) resolve();
		});
	});
	await click();
	await done;
	return downloads;
}

/** Every file below `dir`, recursively. */
export async function filesBelow(dir: string): Promise<string[]> {
	const entries = await readdir(dir, { withFileTypes: true, recursive: true });
	return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** The Range header of every ciphertext request `page` (or its workers) makes, in order. */
export function captureBlobRanges(page: Page): string[] {
	const ranges: string[] = [];
	page.on('request', (req) => {
		if (req.url().endsWith('/blob')) ranges.push(req.headers()['range'] ?? '');
	});
	return ranges;
}

/**
 * Waits until the page has registered the download service worker (scope /_download/) and it is
 * active. (An async predicate in `waitForFunction` returns a Promise, which counts as truthy at
 * once, so this polls the state instead.)
 */
export async function downloadWorkerActive(page: Page): Promise<void> {
	await expect
		.poll(() => page.evaluate(async () => (await navigator.serviceWorker.getRegistration('/_download/'))?.active?.state))
		.toBe('activated');
}
