import type { Instance } from '../support/instances';
import { expect, test } from './fixtures';
import { startHttpProxy } from './cut-proxy';
import { startInstancePair, type InstancePair } from './instance-pair';
import { collectDownloads, makeFile, sha256File, withoutFilePickers } from './helpers';

const MiB = 1024 * 1024;
const PART_RE = /\/api\/v1\/shares\/[^/]+\/parts\/(\d+)$/;

/** The part numbers a proxy passed a 200 answer back for. */
function acknowledged(answered: string[]): number[] {
	return answered.flatMap((line) => {
		const [status, method, path] = line.split(' ');
		const m = PART_RE.exec(path!);
		return status === '200' && method === 'PUT' && m ? [Number(m[1])] : [];
	});
}

/**
 * The sender uploads through a proxy (it sees the crypto workers' requests, which page.route
 * misses) that holds the parts from `heldFrom` on: the upload demonstrably still runs while the
 * recipient, on the server itself, opens the early link.
 */
async function startHeldUpload(
	browser: import('@playwright/test').Browser,
	serverUrl: string,
	path: string,
	heldFrom: number,
	/** Where the recipient opens the link (another instance): the server itself by default. */
	linkOrigin = serverUrl
) {
	const proxy = await startHttpProxy(new URL(serverUrl), (method, url) => {
		const m = PART_RE.exec(url);
		return method === 'PUT' && m !== null && Number(m[1]) >= heldFrom ? 'hold' : 'forward';
	});
	const context = await browser.newContext();
	const sender = await context.newPage();
	await sender.goto(proxy.url);
	await sender.locator('input[type=file]').first().setInputFiles(path);
	await sender.getByRole('button', { name: 'Encrypt and upload' }).click();
	const early = sender.getByTestId('early-link');
	await expect(early).toBeVisible({ timeout: 60_000 });
	await expect(early).toContainText('Recipients can start now');
	// The heading and the field's label differ: a screen reader does not read the same words twice.
	await expect(early.getByRole('heading', { name: 'Share it while it uploads' })).toBeVisible();
	await expect(early.getByText('Link, ready now', { exact: true })).toHaveCount(1);
	await expect.poll(() => acknowledged(proxy.answered).length, { timeout: 60_000 }).toBe(heldFrom);
	const link = (await early.getByRole('textbox', { name: 'Link, ready now' }).inputValue()).replace(proxy.url, linkOrigin);
	return { proxy, context, sender, link, stored: () => acknowledged(proxy.answered) };
}

test.describe('stream while uploading', () => {
	test('a 64 MiB share is downloaded while it is still uploading, sha256 equal', async ({ browser, sealdrop }, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'stream.bin', 64 * MiB); // 8 parts of 8 MiB
		const up = await startHeldUpload(browser, sealdrop.url, file.path, 3);
		try {
			const context = await browser.newContext();
			await withoutFilePickers(context);
			const recipient = await context.newPage();
			await recipient.goto(up.link);
			await expect(recipient.getByTestId('sender-uploading')).toContainText('The sender is still uploading');
			await expect(recipient.getByTestId('share-status')).toContainText('expiry counts from the end of the upload');
			const [download] = await collectDownloads(recipient, 1, () =>
				recipient.getByRole('button', { name: 'Download', exact: true }).click()
			);
			// The recipient holds records while the sender's parts 3… are still held back.
			const both = recipient.getByTestId('both-progress');
			await expect(both).toContainText(/Sender is uploading: 3\d\s?%; you have [1-9]\d?\s?%/, { timeout: 60_000 });
			expect(up.stored().sort()).toEqual([0, 1, 2]);
			await testInfo.attach('recipient-while-uploading', { body: await recipient.screenshot(), contentType: 'image/png' });
			for (const scheme of ['light', 'dark'] as const) {
				await up.sender.emulateMedia({ colorScheme: scheme });
				await up.sender.screenshot({ path: testInfo.outputPath(`sender-early-link-1280-${scheme}.png`) });
			}
			await recipient.screenshot({ path: testInfo.outputPath('recipient-both-progress.png') });
			// A phone in dark mode: both pages fit 360 px.
			for (const [page, name] of [
				[up.sender, 'sender'],
				[recipient, 'recipient']
			] as const) {
				await page.setViewportSize({ width: 360, height: 740 });
				for (const scheme of ['dark', 'light'] as const) {
					await page.emulateMedia({ colorScheme: scheme });
					expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
					await page.screenshot({ path: testInfo.outputPath(`${name}-phone-${scheme}.png`) });
				}
			}

			up.proxy.release();
			expect(await sha256File((await download!.path())!)).toBe(file.sha256);
			await expect(recipient.getByRole('region', { name: 'Share' }).getByText('Saved and verified')).toBeVisible({ timeout: 60_000 });
			await expect(up.sender.getByRole('heading', { name: 'Your link is ready' })).toBeVisible({ timeout: 60_000 });
			await context.close();
		} finally {
			await up.context.close();
			await up.proxy.close();
		}
	});

	test('an upload cancelled by its sender is reported to the waiting recipient as abandoned', async ({ browser, sealdrop }, testInfo) => {
		// Above the 32 MiB a page may assemble in memory (save-target.ts): saved through the service
		// worker into the browser's own download, which begins with the first part.
		const file = await makeFile(testInfo.outputDir, 'abandoned.bin', 40 * MiB + 3); // 6 parts
		const up = await startHeldUpload(browser, sealdrop.url, file.path, 1);
		try {
			const context = await browser.newContext();
			await withoutFilePickers(context);
			const recipient = await context.newPage();
			await recipient.goto(up.link);
			const [download] = await collectDownloads(recipient, 1, () =>
				recipient.getByRole('button', { name: 'Download', exact: true }).click()
			);
			// Only the first part has arrived: the browser's download exists and the recipient holds its records.
			await expect(recipient.getByTestId('both-progress')).toContainText(/you have [1-9]/, { timeout: 60_000 });
			expect(up.stored()).toEqual([0]);
			await recipient.screenshot({ path: testInfo.outputPath('recipient-waiting.png') });
			await up.sender.getByRole('button', { name: 'Cancel upload' }).click();
			await expect(recipient.getByText('The sender stopped this upload before it was complete')).toBeVisible({ timeout: 60_000 });
			// The browser's own download failed too: nothing partial passes for the file.
			expect(await download!.failure()).not.toBeNull();
			// Nothing left to continue or download again, and no stale "still uploading".
			await expect(recipient.getByRole('button', { name: 'Continue download' })).toHaveCount(0);
			await expect(recipient.getByRole('button', { name: /^Download/ })).toHaveCount(0);
			await expect(recipient.getByTestId('sender-uploading')).toHaveCount(0);
			await expect(recipient.getByRole('region', { name: 'Share' }).getByText('Saved and verified')).toHaveCount(0);
			for (const [width, scheme] of [
				[1280, 'light'],
				[1280, 'dark'],
				[360, 'light'],
				[360, 'dark']
			] as const) {
				await recipient.setViewportSize({ width, height: 800 });
				await recipient.emulateMedia({ colorScheme: scheme });
				expect(await recipient.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
				await recipient.screenshot({ path: testInfo.outputPath(`recipient-abandoned-${width}-${scheme}.png`), fullPage: true });
			}
			await context.close();
		} finally {
			up.proxy.release();
			await up.context.close();
			await up.proxy.close();
		}
	});
});

// S3 stores each part as its own object, so a share streams there too, through any instance: the
// sender's tab talks to A (through the holding proxy), the recipient's to B; they share only
// PostgreSQL and the bucket (s3rver).
test.describe('stream while uploading on S3, across two instances', () => {
	let pair: InstancePair;
	let a: Instance;
	let b: Instance;

	test.beforeAll(async () => {
		test.setTimeout(120_000);
		pair = await startInstancePair('s3_stream');
		({ a, b } = pair);
	});

	test.afterAll(async () => {
		await pair?.stop();
	});

	test('a share uploading to A is downloaded from B before the upload ends, sha256 equal', async ({ browser }, testInfo) => {
		// Above the 32 MiB a page assembles in memory: saved as it arrives (as in the test above).
		const file = await makeFile(testInfo.outputDir, 's3-stream.bin', 40 * MiB + 3); // 5 parts
		const up = await startHeldUpload(browser, a.url, file.path, 2, b.url);
		try {
			const context = await browser.newContext();
			await withoutFilePickers(context);
			const recipient = await context.newPage();
			await recipient.goto(up.link);
			await expect(recipient.getByTestId('sender-uploading')).toContainText('The sender is still uploading');
			const [download] = await collectDownloads(recipient, 1, () =>
				recipient.getByRole('button', { name: 'Download', exact: true }).click()
			);
			// Records of the stored parts reach the recipient through B while parts 2… are held back.
			await expect(recipient.getByTestId('both-progress')).toContainText(/you have [1-9]\d?\s?%/, { timeout: 60_000 });
			expect(up.stored().sort()).toEqual([0, 1]);
			await recipient.screenshot({ path: testInfo.outputPath('recipient-s3-while-uploading.png') });
			up.proxy.release();
			expect(await sha256File((await download!.path())!)).toBe(file.sha256);
			await expect(recipient.getByRole('region', { name: 'Share' }).getByText('Saved and verified')).toBeVisible({ timeout: 60_000 });
			await expect(up.sender.getByRole('heading', { name: 'Your link is ready' })).toBeVisible({ timeout: 60_000 });
			await context.close();
		} finally {
			await up.context.close();
			await up.proxy.close();
		}
	});
});
