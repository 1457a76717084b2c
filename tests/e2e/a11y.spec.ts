import { expect, test } from './fixtures';
import { makeFile, uploadThroughUi, withoutFilePickers } from './helpers';
import { hold, THEMES } from './layout';

// What a screen reader hears and where the keyboard is after each change of state.

test('upload: progress, pause, cancel and the finished link are announced; focus follows the task', async ({
	browser,
	sealdrop
}, testInfo) => {
	const file = await makeFile(testInfo.outputDir, 'spoken.bin', 300_000);
	const context = await browser.newContext();
	const page = await context.newPage();
	const live = page.getByTestId('live-status');
	await page.goto(sealdrop.url);
	await page.getByLabel('Choose files', { exact: true }).setInputFiles([file.path]);

	const release = await hold(context, '**/api/v1/shares/*/parts/*');
	await page.getByRole('button', { name: 'Encrypt and upload' }).click();
	await expect(page.getByRole('button', { name: 'Pause' })).toBeFocused();
	await expect(live).toHaveText(/^Encrypting and uploading: \d+ %$/);
	// The form's fields are out of the way while sending.
	await expect(page.getByLabel(/^Message/)).toHaveCount(0);

	// The share exists and a part is on its way (a Pause while the share is still being created
	// goes back to the picker instead, by design).
	await release.arrived;
	await page.keyboard.press('Enter'); // Pause, from the keyboard
	await expect(page.getByRole('button', { name: 'Resume' })).toBeFocused();
	await expect(live).toHaveText(/^Upload paused at \d+ %\. Press Resume to carry on\.$/);
	release();
	await page.keyboard.press('Enter'); // Resume
	await expect(page.getByRole('heading', { name: 'Your link is ready' })).toBeFocused({ timeout: 60_000 });
	await expect(live).toHaveText('Your link is ready.');

	// Cancel is the person's own choice: a plain status, no alert; the keyboard is back on the start button.
	await page.getByRole('button', { name: 'Send more' }).click();
	await page.getByLabel('Choose files', { exact: true }).setInputFiles([file.path]);
	const releaseAgain = await hold(context, '**/api/v1/shares/*/parts/*');
	await page.getByRole('button', { name: 'Encrypt and upload' }).click();
	await page.getByRole('button', { name: 'Cancel upload' }).click();
	await expect(live).toHaveText('Upload cancelled. The partial share was deleted from the server.');
	await expect(page.getByRole('button', { name: 'Encrypt and upload' })).toBeFocused();
	await expect(page.getByRole('alert')).toHaveCount(0);
	releaseAgain();
	await context.close();
});

test('recipient: the password field takes focus; unlocking, downloading, cancelling and finishing are announced and keep focus', async ({
	browser,
	sealdrop
}, testInfo) => {
	const files = await Promise.all([makeFile(testInfo.outputDir, 'one.bin', 200_000), makeFile(testInfo.outputDir, 'two.bin', 3000)]);
	const sender = await browser.newPage();
	const link = await uploadThroughUi(
		sender,
		sealdrop.url,
		files.map((f) => f.path),
		{ password: 'orchard violet 42 canyon' }
	);

	const context = await browser.newContext();
	await withoutFilePickers(context);
	const page = await context.newPage();
	const live = page.getByTestId('live-status');
	await page.goto(link);
	await expect(page.getByLabel('Password', { exact: true })).toBeFocused();
	await page.keyboard.type('orchard violet 42 canyon');
	await page.keyboard.press('Enter');
	await expect(page.getByRole('heading', { name: 'Encrypted files for you' })).toBeFocused({ timeout: 30_000 });

	const release = await hold(context, '**/api/v1/shares/*/blob');
	await page.getByRole('button', { name: 'Download all', exact: true }).click();
	await expect(page.getByRole('button', { name: 'Cancel' })).toBeFocused();
	await expect(live).toHaveText(/^Downloading and decrypting: \d+ %$/);
	await page.keyboard.press('Enter'); // Cancel
	await expect(live).toHaveText(/^Download stopped at 0%\. Continue download picks up from there/);
	await expect(page.getByRole('alert')).toHaveCount(0);
	await expect(page.getByRole('button', { name: 'Continue download' })).toBeFocused();

	release();
	const downloads: string[] = [];
	page.on('download', (d) => downloads.push(d.suggestedFilename()));
	await page.keyboard.press('Enter'); // Continue download
	await expect(live).toHaveText('Saved and verified: every byte decrypted and authenticated.');
	// Still there after a download, with the keyboard on it.
	await expect(page.getByRole('button', { name: 'Download all', exact: true })).toBeFocused();
	await expect.poll(() => downloads.sort()).toEqual(['one.bin', 'two.bin']);
	await context.close();
});

test('my uploads: focus stays in the entry through a delete', async ({ browser, sealdrop }, testInfo) => {
	const file = await makeFile(testInfo.outputDir, 'gone.bin', 1000);
	const page = await browser.newPage();
	await uploadThroughUi(page, sealdrop.url, [file.path]);
	await page.goto(`${sealdrop.url}/uploads`);
	const entry = page.getByTestId('upload-entry').first();
	await entry.getByRole('button', { name: 'Delete now' }).click();
	await expect(entry.getByRole('button', { name: 'Delete for everyone' })).toBeFocused();
	await entry.getByRole('button', { name: 'Keep' }).click();
	await expect(entry.getByRole('button', { name: 'Delete now' })).toBeFocused();
	await entry.getByRole('button', { name: 'Delete now' }).click();
	await entry.getByRole('button', { name: 'Delete for everyone' }).click();
	await expect(entry.getByRole('heading', { name: 'gone.bin' })).toBeFocused();
	await expect(entry.getByTestId('upload-status')).toHaveAttribute('data-state', 'DELETED');
});

test('requests: a request is made, opened and its key export shown from the keyboard; the result is announced', async ({
	browser,
	sealdrop
}) => {
	const page = await browser.newPage();
	const live = page.getByTestId('live-status');
	await page.goto(`${sealdrop.url}/requests`);
	await page.getByLabel('Title').focus();
	await page.keyboard.type('Asked by keyboard');
	await page.keyboard.press('Tab'); // the message
	await page.keyboard.type('Anything you like');
	await page.getByLabel('Title').focus();
	await page.keyboard.press('Enter'); // submits the form
	await expect(live).toHaveText('Request created. Its link is in the list below.');
	const entry = page.getByTestId('request-entry');
	await expect(entry.getByRole('heading', { name: 'Asked by keyboard' })).toBeFocused();
	const submissions = entry.getByRole('button', { name: 'Submissions' });
	await submissions.focus();
	await page.keyboard.press('Enter');
	await expect(submissions).toHaveAttribute('aria-expanded', 'true');
	await expect(entry.getByTestId('no-submissions')).toBeVisible();
	await page.keyboard.press('Tab');
	await expect(entry.getByRole('button', { name: 'Export key' })).toBeFocused();
	await page.keyboard.press('Enter');
	await page.keyboard.press('Tab'); // Close request
	await page.keyboard.press('Tab'); // the passphrase
	await expect(entry.getByLabel('Passphrase for the key file')).toBeFocused();
	await page.keyboard.type('a passphrase typed by keyboard');
	await expect(entry.getByRole('button', { name: 'Save key file' })).toBeEnabled();
	await expect(page.getByRole('alert')).toHaveCount(0);
	await page.close();
});

for (const theme of THEMES) {
	test(`${theme}: the focus ring stands out at least 3:1 from the page and the card`, async ({ browser, sealdrop }) => {
		const page = await browser.newPage({ colorScheme: theme });
		await page.goto(sealdrop.url);
		await page.getByLabel(/^Message/).focus();
		await page.keyboard.press('Tab'); // into the password field, by keyboard: focus-visible
		const ring = await page.evaluate(() => {
			const rgb = (color: string) => (color.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
			const luminance = (color: string) => {
				const [r, g, b] = rgb(color).map((v) => {
					const c = v / 255;
					return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
				});
				return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
			};
			const contrast = (a: string, b: string) => {
				const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
				return (hi! + 0.05) / (lo! + 0.05);
			};
			const focused = document.activeElement as HTMLElement;
			const style = getComputedStyle(focused);
			const card = getComputedStyle(focused.closest('.card')!).backgroundColor;
			const page = getComputedStyle(document.documentElement).backgroundColor;
			return {
				tag: focused.tagName,
				width: parseFloat(style.outlineWidth),
				style: style.outlineStyle,
				againstCard: contrast(style.outlineColor, card),
				againstPage: contrast(style.outlineColor, page)
			};
		});
		expect(ring.tag).toBe('INPUT');
		expect(ring.style).toBe('solid');
		expect(ring.width).toBeGreaterThanOrEqual(2);
		expect(ring.againstCard).toBeGreaterThanOrEqual(3);
		expect(ring.againstPage).toBeGreaterThanOrEqual(3);
		await page.close();
	});
}

test('no page logs a Content-Security-Policy violation (the route announcer is hashed)', async ({ browser, sealdrop }) => {
	const page = await browser.newPage();
	const errors: string[] = [];
	page.on('console', (message) => {
		if (message.type() === 'error') errors.push(message.text());
	});
	for (const path of ['/', '/uploads', '/requests', `/s/${'A'.repeat(22)}#${'B'.repeat(43)}`, `/r/${'A'.repeat(22)}#${'B'.repeat(43)}`]) {
		await page.goto(`${sealdrop.url}${path}`);
		await expect(page.locator('#svelte-announcer')).toBeAttached();
	}
	await page.getByRole('link', { name: 'Send', exact: true }).click();
	await expect(page.getByRole('button', { name: 'Encrypt and upload' })).toBeVisible();
	expect(errors.filter((e) => e.includes('Content Security Policy'))).toEqual([]);
	await page.close();
});
