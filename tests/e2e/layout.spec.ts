import { randomBytes } from 'node:crypto';
import { hashPassword } from '../../server/accounts/passwords';
import { expect, restrictedTest, test } from './fixtures';
import { makeFile, uploadThroughUi, withoutFilePickers } from './helpers';
import { checkState, hold, THEMES, VIEWPORTS } from './layout';

// Every page and state at a phone's and a laptop's width, light and dark: nothing overflows the
// viewport or its card, and file names keep lines wide enough to read. Screenshots of each state
// go to test-results/screenshots/ for review.

const LONG_NAMES = [
	'quarterly-financial-report-final-version-2026-approved-by-the-board.pdf',
	'holiday_photos_from_the_mountain_trip_with_everyone_2026_original.jpg',
	'backup-archive-of-the-whole-project-directory-including-all-assets.bin'
];

for (const viewport of VIEWPORTS) {
	for (const theme of THEMES) {
		const folder = `${theme}-${viewport.name}`;
		// bypassCSP: axe-core is injected as a script, which the app's CSP refuses.
		const options = { viewport: { width: viewport.width, height: viewport.height }, colorScheme: theme, bypassCSP: true };

		test(`${folder}: upload, link, recipient, errors and My uploads lay out without overflow`, async ({ browser, sealdrop }, testInfo) => {
			const files = await Promise.all(LONG_NAMES.map((name, i) => makeFile(testInfo.outputDir, name, 2000 + i * 70_000)));
			const sender = await browser.newContext(options);
			const page = await sender.newPage();

			await page.goto(sealdrop.url);
			await expect(page.getByRole('button', { name: 'Encrypt and upload' })).toBeVisible();
			await checkState(page, testInfo, folder, 'upload-empty');

			await page.getByLabel('Choose files', { exact: true }).setInputFiles(files.map((f) => f.path));
			await page.getByLabel(/^Message/).fill('The reports for Thursday, and the photos from the trip.');
			await checkState(page, testInfo, folder, 'upload-files');

			const releaseParts = await hold(sender, '**/api/v1/shares/*/parts/*');
			await page.getByRole('button', { name: 'Encrypt and upload' }).click();
			await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
			await checkState(page, testInfo, folder, 'uploading');
			await releaseParts.arrived; // the share exists: Pause now pauses (before, it goes back to the picker)
			await page.getByRole('button', { name: 'Pause' }).click();
			await expect(page.getByRole('button', { name: 'Resume' })).toBeVisible();
			await checkState(page, testInfo, folder, 'paused');
			releaseParts();
			await page.getByRole('button', { name: 'Resume' }).click();

			const linkField = page.getByLabel('Share link');
			await expect(linkField).toBeVisible({ timeout: 60_000 });
			const link = await linkField.inputValue();
			await checkState(page, testInfo, folder, 'link-ready');
			await page.getByRole('button', { name: 'Show QR code' }).click();
			await checkState(page, testInfo, folder, 'link-ready-qr');

			// More shares for the recipient's other states and for My uploads.
			const single = await uploadThroughUi(page, sealdrop.url, [files[2]!.path]);
			const locked = await uploadThroughUi(page, sealdrop.url, [files[0]!.path], { password: 'orchard violet 42 canyon' });
			await uploadThroughUi(page, sealdrop.url, [], { note: 'Only a message, no files.' });

			const recipient = await browser.newContext(options);
			await withoutFilePickers(recipient);
			const other = await recipient.newPage();
			await other.goto(link);
			await expect(other.getByRole('list', { name: 'Files' })).toContainText(LONG_NAMES[0]!);
			await checkState(other, testInfo, folder, 'recipient-ready');

			const releaseBlob = await hold(recipient, '**/api/v1/shares/*/blob');
			await other.getByRole('button', { name: 'Download all', exact: true }).click();
			await expect(other.getByRole('button', { name: 'Cancel' })).toBeVisible();
			await checkState(other, testInfo, folder, 'downloading');
			releaseBlob();
			await expect(other.locator('.saved')).toBeVisible();
			await checkState(other, testInfo, folder, 'done');

			await other.goto(single);
			await expect(other.getByTestId('no-preview')).toBeVisible();
			await checkState(other, testInfo, folder, 'recipient-single-no-preview');

			await other.goto(locked);
			await expect(other.getByRole('button', { name: 'Unlock' })).toBeVisible();
			await checkState(other, testInfo, folder, 'password-prompt');
			await other.getByLabel('Password', { exact: true }).fill('not the password');
			await other.getByRole('button', { name: 'Unlock' }).click();
			await expect(other.getByRole('alert')).toHaveAttribute('data-code', 'WRONG_PASSWORD');
			await checkState(other, testInfo, folder, 'password-wrong');

			await other.goto(`${sealdrop.url}/s/${'A'.repeat(22)}${new URL(link).hash}`);
			await expect(other.getByRole('alert')).toBeVisible();
			// An error page says what can still be done.
			await expect(other.getByRole('alert')).toHaveAttribute('data-code', 'NOT_FOUND');
			await expect(other.getByTestId('next-step').getByRole('link', { name: 'send files of your own' })).toBeVisible();
			await expect(other.getByRole('heading', { level: 1 })).toHaveText('Share not found');
			await expect(other.getByRole('heading', { level: 1 })).toBeFocused();
			await checkState(other, testInfo, folder, 'error-not-found');
			await other.goto(`${sealdrop.url}/s/not-a-share`);
			await expect(other.getByRole('alert')).toHaveAttribute('data-code', 'INVALID_ID');
			await checkState(other, testInfo, folder, 'error-invalid-link');
			await other.goto(`${sealdrop.url}/s/${'A'.repeat(22)}`);
			await expect(other.getByRole('textbox', { name: 'Key' })).toBeVisible();
			await checkState(other, testInfo, folder, 'need-key');

			await page.goto(`${sealdrop.url}/uploads`);
			await expect(page.getByTestId('upload-entry')).toHaveCount(4);
			await expect(page.getByTestId('upload-status').first()).not.toHaveAttribute('data-state', 'loading');
			await checkState(page, testInfo, folder, 'my-uploads');
			const first = page.getByTestId('upload-entry').first();
			await first.getByRole('button', { name: 'Link and QR code' }).click();
			await first.getByRole('button', { name: 'Change expiry or limit' }).click();
			await first.getByRole('button', { name: 'Delete now' }).click();
			await checkState(page, testInfo, folder, 'my-uploads-open');

			// The app's own error page: a page's code that no longer loads (say, after an update of the server).
			await page.goto(sealdrop.url);
			await expect(page.getByRole('button', { name: 'Encrypt and upload' })).toBeVisible();
			await page.route('**/_app/immutable/nodes/*', (route) => route.abort());
			await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My uploads' }).click();
			await expect(page.getByRole('heading', { level: 1 })).toHaveText('This page could not be shown');
			await expect(page.getByRole('link', { name: 'Go to the start page' })).toBeVisible();
			await checkState(page, testInfo, folder, 'app-error');
			await page.unroute('**/_app/immutable/nodes/*');

			await sender.close();
			await recipient.close();
		});

		restrictedTest(`${folder}: login and account lay out without overflow`, async ({ browser, restricted }, testInfo) => {
			const name = `user-${folder}`;
			const password = 'lantern meadow copper 58';
			await restricted.meta.accounts.addUser({
				id: randomBytes(12).toString('base64url'),
				name,
				passwordHash: await hashPassword(password),
				createdAt: Date.now(),
				quotaBytes: 10 * 1024 * 1024 * 1024,
				quotaShares: 100,
				maxExpiry: 3600
			});
			const context = await browser.newContext(options);
			const page = await context.newPage();
			await page.goto(restricted.url);
			await expect(page.getByRole('heading', { name: 'Log in to share files' })).toBeVisible();
			await checkState(page, testInfo, folder, 'restricted-logged-out');
			await page.goto(`${restricted.url}/login`);
			await checkState(page, testInfo, folder, 'login');
			await page.getByLabel('User name').fill(name);
			await page.getByLabel('Password', { exact: true }).fill('not the password');
			await page.getByRole('button', { name: 'Log in' }).click();
			await expect(page.getByRole('alert')).toBeVisible();
			await checkState(page, testInfo, folder, 'login-wrong');
			await page.getByLabel('Password', { exact: true }).fill(password);
			await page.getByRole('button', { name: 'Log in' }).click();
			await expect(page.getByText('Signed in as')).toBeVisible();
			await page.goto(`${restricted.url}/account`);
			await page.getByLabel('Name of a new token').fill('nightly backup script on the office server');
			await page.getByRole('button', { name: 'Create token' }).click();
			await expect(page.getByLabel(/New token/)).toBeVisible();
			await checkState(page, testInfo, folder, 'account');
			await context.close();
		});
	}
}
