import { expect, test } from './fixtures';
import { collectDownloads, makeFile, sha256File, withoutFilePickers } from './helpers';

const MiB = 1024 * 1024;
const PART_RE = /\/api\/v1\/shares\/[^/]+\/parts\/(\d+)$/;

test('the network drops mid-upload: Reconnecting…, a warning before closing, and it resumes by itself when back online', async ({
	browser,
	sealdrop
}, testInfo) => {
	const file = await makeFile(testInfo.outputDir, 'train.bin', 40 * MiB + 5); // 5 parts of 8 MiB
	const context = await browser.newContext();
	const page = await context.newPage();
	await page.goto(sealdrop.url);
	await expect(page).toHaveTitle('Sealdrop — send files privately');

	// Part 0 goes through; the others wait until the network is gone. While it is gone, every
	// part the page sends fails as a dropped network does (setOffline covers new requests; the
	// route covers the ones already held here).
	let offline = false;
	let goOffline = () => {};
	const wentOffline = new Promise<void>((resolve) => (goOffline = resolve));
	await page.route(PART_RE, async (route) => {
		if (Number(PART_RE.exec(route.request().url())![1]) >= 1) await wentOffline;
		if (offline) return route.abort('internetdisconnected');
		return route.continue();
	});
	const firstPart = page.waitForResponse((r) => PART_RE.test(r.url()) && r.status() === 200);
	await page.locator('input[type=file]').first().setInputFiles(file.path);
	await page.getByRole('button', { name: 'Encrypt and upload' }).click();
	await firstPart;
	await expect(page).toHaveTitle(/^\d+% uploaded · Sealdrop$/);

	offline = true;
	await context.setOffline(true);
	goOffline();
	const upload = page.getByRole('region', { name: 'Upload' });
	await expect(upload.getByText('Reconnecting…', { exact: true })).toBeVisible();
	await expect(page.getByRole('status').filter({ hasText: 'The connection to the server was lost' })).toBeVisible();
	await expect(page).toHaveTitle(/^Reconnecting… \d+% · Sealdrop$/);
	await expect(page.getByRole('alert')).toHaveCount(0);
	await page.screenshot({ path: testInfo.outputPath('reconnecting-1280.png'), fullPage: true });
	await page.setViewportSize({ width: 360, height: 800 });
	await page.screenshot({ path: testInfo.outputPath('reconnecting-360.png'), fullPage: true });

	// Closing the tab now asks first; staying keeps the upload.
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
	offline = false;
	await context.setOffline(false);
	const link = page.getByLabel('Share link');
	await expect(link).toBeVisible({ timeout: 60_000 });
	await expect(page).toHaveTitle('Upload finished · Sealdrop');

	// Nothing left to lose: closing asks nothing.
	const recipient = await browser.newContext();
	await withoutFilePickers(recipient);
	const reader = await recipient.newPage();
	await reader.goto(await link.inputValue());
	const [download] = await collectDownloads(reader, 1, () => reader.getByRole('button', { name: 'Download', exact: true }).click());
	expect(await sha256File((await download!.path())!)).toBe(file.sha256);
	let dialogs = 0;
	page.on('dialog', () => dialogs++);
	await page.close({ runBeforeUnload: true });
	await expect.poll(() => page.isClosed()).toBe(true);
	expect(dialogs).toBe(0);
	await recipient.close();
	await context.close();
});
