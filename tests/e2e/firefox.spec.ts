import { existsSync } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { FIREFOX_PATH } from '../support/firefox.ts';
import { expect, test } from './fixtures';
import { makeFile, sha256File, uploadThroughUi } from './helpers';

const MiB = 1024 * 1024;

test('Firefox ESR saves a large download through the service worker', async ({ browser, sealdrop }, testInfo) => {
	if (!existsSync(FIREFOX_PATH)) {
		throw new Error(`Firefox ESR not found at ${FIREFOX_PATH}: install it with \`sudo apt-get install firefox-esr\`.`);
	}
	const file = await makeFile(testInfo.outputDir, 'firefox.bin', 40 * MiB + 9);
	const link = await uploadThroughUi(await browser.newPage(), sealdrop.url, [file.path]);

	const downloadPath = join(testInfo.outputDir, 'firefox-downloads');
	await mkdir(downloadPath, { recursive: true });
	const firefox = await puppeteer.launch({
		browser: 'firefox',
		protocol: 'webDriverBiDi',
		executablePath: FIREFOX_PATH,
		headless: true
	});
	try {
		const context = await firefox.createBrowserContext({ downloadBehavior: { policy: 'allow', downloadPath } });
		const page = await context.newPage();
		await page.goto(link);
		await page.locator('::-p-aria(Download[role="button"])').click();
		const saved = join(downloadPath, 'firefox.bin');
		// Firefox streams into a .part file beside an empty placeholder and moves it into place only
		// when the stream ended cleanly.
		const finished = async () => {
			const names = await readdir(downloadPath);
			return !names.some((n) => n.endsWith('.part')) && names.includes('firefox.bin') ? (await stat(saved)).size : -1;
		};
		await expect.poll(finished, { timeout: 120_000 }).toBe(40 * MiB + 9);
		expect(await sha256File(saved)).toBe(file.sha256);
		await expect
			.poll(() => page.evaluate(() => document.querySelector('[role=status]')?.textContent ?? ''))
			.toContain('Saved and verified');
	} finally {
		await firefox.close();
	}
});
