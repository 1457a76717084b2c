import { expect, test } from './fixtures';
import { startHttpProxy } from './cut-proxy';
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
async function startHeldUpload(browser: import('@playwright/test').Browser, serverUrl: string, path: string, heldFrom: number) {
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
	await expect.poll(() => acknowledged(proxy.answered).length, { timeout: 60_000 }).toBe(heldFrom);
	const link = (await early.getByRole('textbox', { name: 'Link, ready now' }).inputValue()).replace(proxy.url, serverUrl);
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
			await up.sender.screenshot({ path: testInfo.outputPath('sender-early-link.png') });
			await recipient.screenshot({ path: testInfo.outputPath('recipient-both-progress.png') });
			// A phone in dark mode: both pages fit 360 px.
			for (const [page, name] of [
				[up.sender, 'sender'],
				[recipient, 'recipient']
			] as const) {
				await page.setViewportSize({ width: 360, height: 740 });
				await page.emulateMedia({ colorScheme: 'dark' });
				expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
				await page.screenshot({ path: testInfo.outputPath(`${name}-phone-dark.png`) });
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
		const file = await makeFile(testInfo.outputDir, 'abandoned.bin', 24 * MiB + 3); // 4 parts
		const up = await startHeldUpload(browser, sealdrop.url, file.path, 1);
		try {
			const context = await browser.newContext();
			await withoutFilePickers(context);
			const recipient = await context.newPage();
			await recipient.goto(up.link);
			// Chromium begins the browser download only once more bytes have passed than one part: the
			// page's own progress is what shows the recipient holding the records.
			await recipient.getByRole('button', { name: 'Download', exact: true }).click();
			// Only the first part has arrived: the recipient holds its records all the same.
			await expect(recipient.getByTestId('both-progress')).toContainText(/you have [1-9]/, { timeout: 60_000 });
			await recipient.screenshot({ path: testInfo.outputPath('recipient-waiting.png') });
			await up.sender.getByRole('button', { name: 'Cancel upload' }).click();
			await expect(recipient.getByText('The sender stopped this upload before it was complete')).toBeVisible({ timeout: 60_000 });
			await recipient.screenshot({ path: testInfo.outputPath('recipient-abandoned.png') });
			// Nothing left to continue, and no stale "still uploading".
			await expect(recipient.getByRole('button', { name: 'Continue download' })).toHaveCount(0);
			await expect(recipient.getByTestId('sender-uploading')).toHaveCount(0);
			// Never reported as saved: the sink was aborted, nothing partial passes for the file.
			await expect(recipient.getByRole('region', { name: 'Share' }).getByText('Saved and verified')).toHaveCount(0);
			await context.close();
		} finally {
			up.proxy.release();
			await up.context.close();
			await up.proxy.close();
		}
	});
});
