import { expect, test } from './fixtures';
import { startCutProxy, startHttpProxy } from './cut-proxy';
import { captureBlobRanges, collectDownloads, makeFile, sha256File, uploadThroughUi, withoutFilePickers } from './helpers';

const MiB = 1024 * 1024;
const RECORD = 65536;
const RECORD_CT = RECORD + 16;
const PART_RE = /\/api\/v1\/shares\/[^/]+\/parts\/(\d+)$/;

/** The part numbers a proxy passed a 200 answer back for, in order. */
function acknowledged(answered: string[]): number[] {
	return answered.flatMap((line) => {
		const [status, method, path] = line.split(' ');
		const m = PART_RE.exec(path!);
		return status === '200' && method === 'PUT' && m ? [Number(m[1])] : [];
	});
}

/** Downloads the share at `link` in a fresh context and returns the saved files' sha256 by name. */
async function downloadAll(browser: import('@playwright/test').Browser, link: string, count: number) {
	const context = await browser.newContext();
	await withoutFilePickers(context);
	const page = await context.newPage();
	await page.goto(link);
	const name = count > 1 ? 'Download all' : 'Download';
	const downloads = await collectDownloads(page, count, () => page.getByRole('button', { name, exact: true }).click());
	const hashes = new Map<string, string>();
	for (const d of downloads) hashes.set(d.suggestedFilename(), await sha256File((await d.path())!));
	await context.close();
	return { hashes, urls: downloads.map((d) => d.url()) };
}

test.describe('large files', () => {
	test('an upload cut off mid-way resumes after the tab is reopened, sending only missing parts', async ({
		browser,
		sealdrop
	}, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'video.bin', 40 * MiB); // 5 parts of 8 MiB
		// Parts 2 and later never get through while the first tab is open: the connection is gone
		// before they finish. Both tabs use the proxy's origin, where the interrupted upload is kept.
		const proxy = await startHttpProxy(new URL(sealdrop.url), (method, path) => {
			const m = PART_RE.exec(path);
			return method === 'PUT' && m !== null && Number(m[1]) >= 2 ? 'hold' : 'forward';
		});
		const context = await browser.newContext();
		const first = await context.newPage();
		const partsStored = () => acknowledged(proxy.answered);
		await first.goto(proxy.url);
		await first.locator('input[type=file]').first().setInputFiles(file.path);
		await first.getByRole('button', { name: 'Encrypt and upload' }).click();
		await expect.poll(() => partsStored().length, { timeout: 60_000 }).toBe(2);
		await first.close();
		proxy.release();
		expect(partsStored().sort()).toEqual([0, 1]);

		const second = await context.newPage();
		await second.goto(proxy.url);
		await expect(second.getByRole('heading', { name: 'Interrupted uploads' })).toBeVisible();
		await second.getByLabel(/Choose the files to resume video\.bin/).setInputFiles(file.path);
		const link = second.getByLabel('Share link');
		await expect(link).toBeVisible({ timeout: 120_000 });

		// Only the missing parts, each once: never one the server acknowledged.
		expect(partsStored().sort()).toEqual([0, 1, 2, 3, 4]);
		const { hashes } = await downloadAll(browser, (await link.inputValue()).replace(proxy.url, sealdrop.url), 1);
		expect(hashes.get('video.bin')).toBe(file.sha256);
		await context.close();
		await proxy.close();
	});

	test('pause stops sending, resume finishes, cancel deletes the partial share', async ({ browser, sealdrop }, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'pause.bin', 24 * MiB + 1);
		const page = await browser.newPage();
		const created: string[] = [];
		page.on('response', async (res) => {
			if (res.request().method() === 'POST' && res.url().endsWith('/api/v1/shares'))
				created.push(((await res.json()) as { id: string }).id);
		});
		// Part 1 hangs until the test lets it through: the upload is mid-way.
		let release = () => {};
		const held = new Promise<void>((resolve) => (release = resolve));
		let arrived = () => {};
		const midway = new Promise<void>((resolve) => (arrived = resolve));
		await page.route(PART_RE, async (route) => {
			if (PART_RE.exec(route.request().url())![1] === '1') {
				arrived();
				await held;
			}
			await route.continue().catch(() => {}); // a paused request was aborted by the page
		});
		await page.goto(sealdrop.url);
		await page.locator('input[type=file]').first().setInputFiles(file.path);
		await page.getByRole('button', { name: 'Encrypt and upload' }).click();
		await midway;
		await page.getByRole('button', { name: 'Pause' }).click();
		await expect(page.getByRole('button', { name: 'Resume' })).toBeVisible();
		release();
		await page.getByRole('button', { name: 'Resume' }).click();
		const link = await page.getByRole('textbox', { name: 'Share link' }).inputValue({ timeout: 60_000 });
		const { hashes } = await downloadAll(browser, link, 1);
		expect(hashes.get('pause.bin')).toBe(file.sha256);

		// A second upload, cancelled mid-way, leaves nothing on the server.
		await page.unroute(PART_RE);
		await page.route(PART_RE, () => {}); // every part hangs
		await page.getByRole('button', { name: 'Send more', exact: true }).click();
		await page.locator('input[type=file]').first().setInputFiles(file.path);
		await page.getByRole('button', { name: 'Encrypt and upload' }).click();
		await expect.poll(() => created.length).toBe(2);
		await page.getByRole('button', { name: 'Cancel upload' }).click();
		await expect
			.poll(
				async () =>
					((await (await fetch(`${sealdrop.url}/api/v1/shares/${created[1]}`)).json()) as { error?: { code: string } }).error?.code
			)
			.toBe('DELETED');
	});

	test('parts that fail in transit are retried, and the server restarting does not lose the upload', async ({
		browser,
		sealdrop
	}, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'retry.bin', 24 * MiB + 5);
		const attempts = new Map<number, number>();
		let acknowledgedBefore: number[] | undefined;
		const sentAfter = new Set<number>();
		const proxy = await startHttpProxy(new URL(sealdrop.url), async (method, path) => {
			const m = PART_RE.exec(path);
			if (method !== 'PUT' || !m) return 'forward';
			const n = Number(m[1]);
			attempts.set(n, (attempts.get(n) ?? 0) + 1);
			if (acknowledgedBefore) sentAfter.add(n);
			if (n !== 1 || attempts.get(n) !== 1) return 'forward';
			// The first try of part 1 dies with the server; the retry reaches the restarted one.
			acknowledgedBefore = acknowledged(proxy.answered);
			await sealdrop.restart();
			return 'reset';
		});
		try {
			const page = await browser.newPage();
			const link = await uploadThroughUi(page, proxy.url, [file.path]);
			expect(acknowledgedBefore, 'the server was restarted').toBeDefined();
			expect(attempts.get(1)).toBeGreaterThanOrEqual(2);
			// Parts in flight while the server was down are sent again (as often as the retry policy
			// says), but the upload goes on from where it was: no part the server had acknowledged.
			expect(acknowledgedBefore!.filter((n) => sentAfter.has(n))).toEqual([]);
			const { hashes } = await downloadAll(browser, link.replace(proxy.url, sealdrop.url), 1);
			expect(hashes.get('retry.bin')).toBe(file.sha256);
		} finally {
			await proxy.close();
		}
	});

	test('a download cut off mid-way resumes with Range from where it stopped', async ({ browser, sealdrop }, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'cut.bin', 20 * MiB + 77);
		const link = new URL(await uploadThroughUi(await browser.newPage(), sealdrop.url, [file.path]));
		const proxy = await startCutProxy(new URL(sealdrop.url), 5 * MiB);
		try {
			const context = await browser.newContext();
			await withoutFilePickers(context);
			const page = await context.newPage();
			const ranges = captureBlobRanges(page);
			await page.goto(`${proxy.url}${link.pathname}${link.hash}`);
			const [download] = await collectDownloads(page, 1, () => page.getByRole('button', { name: 'Download', exact: true }).click());
			expect(await sha256File((await download!.path())!)).toBe(file.sha256);
			expect(proxy.cuts).toBe(1);
			expect(ranges.length).toBe(2);
			expect(ranges[0]).toMatch(/^bytes=0-/);
			const resumedAt = Number(/^bytes=(\d+)-/.exec(ranges[1]!)![1]);
			expect(resumedAt).toBeGreaterThan(0);
			expect(resumedAt % RECORD_CT).toBe(0); // a record boundary: nothing decrypted twice
			await context.close();
		} finally {
			await proxy.close();
		}
	});

	test('one file of three downloads alone, fetching only its records', async ({ browser, sealdrop }, testInfo) => {
		const files = [
			await makeFile(testInfo.outputDir, 'one.bin', 100_000),
			await makeFile(testInfo.outputDir, 'two.bin', 300_000),
			await makeFile(testInfo.outputDir, 'three.bin', 200_000)
		];
		const link = await uploadThroughUi(
			await browser.newPage(),
			sealdrop.url,
			files.map((f) => f.path)
		);
		const context = await browser.newContext();
		await withoutFilePickers(context);
		const page = await context.newPage();
		const ranges = captureBlobRanges(page);
		await page.goto(link);
		const [download] = await collectDownloads(page, 1, () => page.getByRole('button', { name: 'Download two.bin' }).click());
		expect(download!.suggestedFilename()).toBe('two.bin');
		expect(await sha256File((await download!.path())!)).toBe(files[1]!.sha256);
		// Plaintext bytes 100000..399999 live in records 1..6.
		expect(ranges).toEqual([`bytes=${1 * RECORD_CT}-${7 * RECORD_CT - 1}`]);
	});

	test('Chromium without the File System Access API saves through the service worker', async ({ browser, sealdrop }, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'stream.bin', 48 * MiB + 3);
		const link = await uploadThroughUi(await browser.newPage(), sealdrop.url, [file.path]);
		const { hashes, urls } = await downloadAll(browser, link, 1);
		expect(urls[0]).toContain('/_download/');
		expect(hashes.get('stream.bin')).toBe(file.sha256);
	});

	test('a 1 GiB file goes up and comes back through the UI', async ({ browser, sealdrop }, testInfo) => {
		test.setTimeout(600_000);
		const file = await makeFile(testInfo.outputDir, 'big.bin', 1024 * MiB);
		const link = await uploadThroughUi(await browser.newPage(), sealdrop.url, [file.path]);
		const { hashes } = await downloadAll(browser, link, 1);
		expect(hashes.get('big.bin')).toBe(file.sha256);
	});
});
