import type { Browser, BrowserContext, Download, Page } from '@playwright/test';
import { startCutProxy } from './cut-proxy';
import { expect, test } from './fixtures';
import { captureBlobRanges, makeFile, sha256File, uploadThroughUi, withoutFilePickers, type TestFile } from './helpers';
import { checkLaptopAndPhone } from './layout';

const MiB = 1024 * 1024;
const BLOB = '**/api/v1/shares/*/blob';

/** Someone opening `file`'s share (limit 5) through a proxy that pauses its first download at `cutAfter` bytes. */
async function openThroughCut(browser: Browser, base: string, file: TestFile, cutAfter: number, pickers = false) {
	const link = new URL(await uploadThroughUi(await browser.newPage(), base, [file.path], { downloads: '5 downloads' }));
	let reached = () => {};
	let cut = () => {};
	const paused = new Promise<void>((resolve) => (reached = resolve));
	const gate = new Promise<void>((resolve) => (cut = resolve));
	const proxy = await startCutProxy(new URL(base), cutAfter, () => {
		reached();
		return gate;
	});
	// bypassCSP: axe-core is injected for the layout and accessibility check.
	const context = await browser.newContext({ bypassCSP: true });
	if (pickers) await pickIntoPrivateFolder(context);
	else await withoutFilePickers(context);
	const page = await context.newPage();
	const ranges = captureBlobRanges(page);
	const downloads: Download[] = [];
	page.on('download', (d) => downloads.push(d));
	await page.goto(`${proxy.url}${link.pathname}${link.hash}`);
	const id = link.pathname.split('/').pop()!;
	/** How many downloads the server counted. */
	const used = async () => ((await (await fetch(`${base}/api/v1/shares/${id}`)).json()) as { downloads: number }).downloads;
	return { proxy, context, page, ranges, downloads, paused, cut, used };
}

/**
 * The save dialog answered at once with a file in the origin's private folder (OPFS): the same
 * File System Access writable as a file picked on disk, which a headless browser cannot pick.
 */
async function pickIntoPrivateFolder(context: BrowserContext): Promise<void> {
	await context.addInitScript(() => {
		const w = window as unknown as Record<string, unknown>;
		delete w.showDirectoryPicker;
		w.showSaveFilePicker = async ({ suggestedName }: { suggestedName: string }) =>
			(await navigator.storage.getDirectory()).getFileHandle(suggestedName, { create: true });
	});
}

/** The sha256 of a file in the page's private folder. */
async function privateFileSha256(page: Page, name: string): Promise<string> {
	return page.evaluate(async (name) => {
		const file = await (await (await navigator.storage.getDirectory()).getFileHandle(name)).getFile();
		const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
		return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
	}, name);
}

/** Goes offline as a dropped network does: new requests fail (setOffline), and so do the held ones. */
async function network(context: BrowserContext, state: 'offline' | 'online') {
	if (state === 'offline') {
		await context.route(BLOB, (route) => route.abort('internetdisconnected'));
		await context.setOffline(true);
	} else {
		await context.unroute(BLOB);
		await context.setOffline(false);
	}
}

test('the network drops mid-download: Waiting for the network…, a warning before closing, and it carries on by itself when back online', async ({
	browser,
	sealdrop
}, testInfo) => {
	const file = await makeFile(testInfo.outputDir, 'tunnel.bin', 40 * MiB + 3); // saved through the service worker
	const { proxy, context, page, ranges, downloads, paused, cut, used } = await openThroughCut(browser, sealdrop.url, file, 12 * MiB);
	try {
		await page.getByRole('button', { name: 'Download', exact: true }).click();
		await paused;
		await expect(page).toHaveTitle(/^[1-9]\d*% downloaded · Sealdrop$/);

		await network(context, 'offline');
		cut();
		const share = page.getByRole('region', { name: 'Share' });
		await expect(share.getByText('Waiting for the network…', { exact: true })).toBeVisible();
		await expect(page.getByRole('status').filter({ hasText: 'The connection was lost' })).toBeVisible();
		await expect(page).toHaveTitle(/^Waiting for the network… [1-9]\d*% · Sealdrop$/);
		await expect(share.getByTestId('share-status')).toContainText('4 downloads left');
		await expect(page.getByRole('alert')).toHaveCount(0);
		await checkLaptopAndPhone(page, testInfo, 'waiting-for-network');

		// Closing the tab now asks first; staying keeps the download.
		const asked = new Promise<string>((resolve) =>
			page.once('dialog', (dialog) => {
				resolve(dialog.type());
				void dialog.dismiss();
			})
		);
		await page.close({ runBeforeUnload: true });
		expect(await asked).toBe('beforeunload');
		expect(page.isClosed()).toBe(false);

		// Back online: nobody presses anything.
		await network(context, 'online');
		await expect(page.getByText('Saved and verified', { exact: false }).first()).toBeVisible({ timeout: 60_000 });
		await expect(page).toHaveTitle('Download finished · Sealdrop');
		expect(downloads).toHaveLength(1);
		expect(await sha256File((await downloads[0]!.path())!)).toBe(file.sha256);
		// From where it stopped, on the one download spent.
		expect(ranges[0]).toMatch(/^bytes=0-/);
		expect(Number(/^bytes=(\d+)-/.exec(ranges.at(-1)!)![1])).toBeGreaterThan(0);
		expect(await used()).toBe(1);
	} finally {
		await context.close();
		await proxy.close();
	}
});

test('a cancelled download continues from where it stopped (kept in the page until saved), spending no second download', async ({
	browser,
	sealdrop
}, testInfo) => {
	const file = await makeFile(testInfo.outputDir, 'paused.bin', 20 * MiB + 11); // assembled in memory, then handed over
	const { proxy, context, page, ranges, downloads, paused, cut, used } = await openThroughCut(browser, sealdrop.url, file, 8 * MiB);
	try {
		await page.getByRole('button', { name: 'Download', exact: true }).click();
		await paused;
		await expect(page).toHaveTitle(/^[1-9]\d*% downloaded · Sealdrop$/);
		await page.getByRole('button', { name: 'Cancel' }).click();
		cut();
		await expect(page.getByTestId('stopped')).toHaveText(
			/^Download stopped at [1-9]\d*%\. Continue download picks up from there and uses no more of the share’s downloads\.$/
		);
		await expect(page).toHaveTitle(/^Download stopped at [1-9]\d*% · Sealdrop$/);
		await expect(page.getByRole('alert')).toHaveCount(0);
		await expect(page.getByRole('button', { name: 'Continue download' })).toBeFocused();
		expect(await used()).toBe(1);
		await checkLaptopAndPhone(page, testInfo, 'download-stopped');
		await page.getByRole('button', { name: 'Continue download' }).focus();

		await page.keyboard.press('Enter');
		await expect(page).toHaveTitle('Download finished · Sealdrop', { timeout: 60_000 });
		await expect.poll(() => downloads.length).toBe(1);
		expect(await sha256File((await downloads[0]!.path())!)).toBe(file.sha256);
		expect(ranges).toHaveLength(2);
		expect(Number(/^bytes=(\d+)-/.exec(ranges[1]!)![1])).toBeGreaterThan(0);
		expect(await used()).toBe(1);
	} finally {
		await context.close();
		await proxy.close();
	}
});

test('a cancelled download saved by the browser itself starts that file again, and says so, spending no second download', async ({
	browser,
	sealdrop
}, testInfo) => {
	const file = await makeFile(testInfo.outputDir, 'stream.bin', 40 * MiB + 5); // streamed through the service worker
	const { proxy, context, page, ranges, downloads, paused, cut, used } = await openThroughCut(browser, sealdrop.url, file, 12 * MiB);
	try {
		await page.getByRole('button', { name: 'Download', exact: true }).click();
		await paused;
		await expect(page).toHaveTitle(/^[1-9]\d*% downloaded · Sealdrop$/);
		await page.getByRole('button', { name: 'Cancel' }).click();
		cut();
		await expect(page.getByTestId('stopped')).toContainText('so Continue download saves stream.bin again from its start');

		await page.getByRole('button', { name: 'Continue download' }).click();
		await expect(page).toHaveTitle('Download finished · Sealdrop', { timeout: 60_000 });
		await expect.poll(() => downloads.length).toBe(2);
		expect(await downloads[0]!.failure()).not.toBeNull(); // the cancelled one
		expect(await sha256File((await downloads[1]!.path())!)).toBe(file.sha256);
		expect(ranges.at(-1)).toMatch(/^bytes=0-/);
		expect(await used()).toBe(1);
	} finally {
		await context.close();
		await proxy.close();
	}
});

test('a cancelled download into a file picked with File System Access continues into the same file from where it stopped', async ({
	browser,
	sealdrop
}, testInfo) => {
	const file = await makeFile(testInfo.outputDir, 'picked.bin', 40 * MiB + 7);
	const { proxy, context, page, ranges, downloads, paused, cut, used } = await openThroughCut(browser, sealdrop.url, file, 12 * MiB, true);
	try {
		await page.getByRole('button', { name: 'Download', exact: true }).click();
		await paused;
		await expect(page).toHaveTitle(/^[1-9]\d*% downloaded · Sealdrop$/);
		await page.getByRole('button', { name: 'Cancel' }).click();
		cut();
		await expect(page.getByTestId('stopped')).toHaveText(/^Download stopped at [1-9]\d*%\. Continue download picks up from there/);

		await page.getByRole('button', { name: 'Continue download' }).click();
		await expect(page).toHaveTitle('Download finished · Sealdrop', { timeout: 60_000 });
		expect(await privateFileSha256(page, 'picked.bin')).toBe(file.sha256);
		expect(downloads).toHaveLength(0); // written by the page, not handed to the browser's downloads
		expect(ranges).toHaveLength(2);
		expect(Number(/^bytes=(\d+)-/.exec(ranges[1]!)![1])).toBeGreaterThan(0);
		expect(await used()).toBe(1);
	} finally {
		await context.close();
		await proxy.close();
	}
});
