import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.ts';
import { expect, test } from './fixtures';

// Plain http on a name other than localhost is not a secure context: the browser offers no Web
// Crypto there. The host resolver maps a test name onto the local server.
test('plain http on a LAN name shows that HTTPS is needed, on every page', async ({ sealdrop }, testInfo) => {
	const port = new URL(sealdrop.url).port;
	const browser = await chromium.launch({
		executablePath: CHROMIUM_PATH,
		args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP sealdrop.test 127.0.0.1']
	});
	try {
		const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
		const problems: string[] = [];
		page.on('pageerror', (err) => problems.push(err.message));
		for (const path of ['/', '/s/q3M8fW0xH1rJc2Zq9tYb1A#AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '/uploads', '/requests']) {
			await page.goto(`http://sealdrop.test:${port}${path}`);
			expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
			await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sealdrop needs HTTPS');
			await expect(page.getByRole('alert')).toContainText('plain http');
			await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'INSECURE_CONTEXT');
		}
		await page.screenshot({ path: testInfo.outputPath('insecure-360.png'), fullPage: true });
		await page.setViewportSize({ width: 1280, height: 800 });
		await page.emulateMedia({ colorScheme: 'dark' });
		await page.screenshot({ path: testInfo.outputPath('insecure-1280-dark.png'), fullPage: true });
		expect(problems).toEqual([]);
	} finally {
		await browser.close();
	}
});

test('the same server on 127.0.0.1 is a secure context and shows the app', async ({ page, sealdrop }) => {
	await page.goto(sealdrop.url);
	await expect(page.getByRole('heading', { level: 1 })).toHaveText('Send files, end-to-end encrypted');
});
