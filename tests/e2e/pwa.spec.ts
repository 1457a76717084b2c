import { expect, test } from './fixtures';
import { collectDownloads, downloadWorkerActive, makeFile, sha256File, withoutFilePickers } from './helpers';

// Installing Sealdrop as an app, and sharing files into it from another app (Web Share Target).

test('Chromium reads the manifest without errors and sees the app as installable', async ({ browser, sealdrop }) => {
	const context = await browser.newContext();
	const page = await context.newPage();
	await page.goto(sealdrop.url);
	await expect(page.getByRole('button', { name: 'Encrypt and upload' })).toBeVisible();

	const cdp = await context.newCDPSession(page);
	const manifest = (await cdp.send('Page.getAppManifest')) as { url: string; errors: unknown[]; data?: string };
	expect(manifest.url).toBe(`${sealdrop.url}/manifest.webmanifest`);
	expect(manifest.errors).toEqual([]);
	const data = JSON.parse(manifest.data ?? '{}') as { share_target?: { action: string }; icons: { purpose?: string; sizes: string }[] };
	expect(data.share_target?.action).toBe('/_download/share');
	expect(data.icons.filter((icon) => icon.purpose === 'maskable').map((icon) => icon.sizes)).toEqual(['any', '192x192', '512x512']);
	const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: unknown[] };
	// Playwright's contexts are incognito windows, where Chromium never offers to install; nothing else may be missing.
	expect(installabilityErrors).toEqual([{ errorId: 'in-incognito', errorArguments: [] }]);

	const served = await page.request.get(`${sealdrop.url}/manifest.webmanifest`);
	expect(served.headers()['content-type']).toBe('application/manifest+json');
	for (const icon of ['icon-192.png', 'icon-512.png', 'maskable-192.png', 'maskable-512.png']) {
		const response = await page.request.get(`${sealdrop.url}/icons/${icon}`);
		expect(response.headers()['content-type'], icon).toBe('image/png');
	}
	await context.close();
});

test('files and text shared from another app land in the upload page, ready to send', async ({ browser, sealdrop }, testInfo) => {
	const photo = await makeFile(testInfo.outputDir, 'holiday photo.jpg', 300_000);
	const notes = await makeFile(testInfo.outputDir, 'notes.txt', 4000);
	const context = await browser.newContext();
	const page = await context.newPage();
	// What Android does for "share to Sealdrop": a multipart POST to the manifest's share_target.
	await page.goto(sealdrop.url);
	await downloadWorkerActive(page);
	await page.evaluate(() => {
		const form = document.createElement('form');
		form.method = 'post';
		form.enctype = 'multipart/form-data';
		form.action = '/_download/share';
		form.innerHTML =
			'<input type="file" name="files" multiple data-testid="shared-files"><input name="title" value="Trip"><input name="text" value="Photos from Sunday">';
		document.body.append(form);
	});
	await page.getByTestId('shared-files').setInputFiles([photo.path, notes.path]);
	const [answer] = await Promise.all([
		page.waitForResponse((response) => response.url().endsWith('/_download/share')),
		page.evaluate(() => document.querySelector('form')!.submit())
	]);
	expect(answer.status()).toBe(303);
	// The worker answered: the shared files never reached the server.
	expect(answer.fromServiceWorker()).toBe(true);
	await page.waitForLoadState();

	const list = page.getByRole('list', { name: 'Selected files' });
	await expect(list).toContainText('holiday photo.jpg');
	await expect(list).toContainText('notes.txt');
	await expect(page.getByLabel(/^Message/)).toHaveValue('Trip\nPhotos from Sunday');
	// The worker handed them over once: a reload does not add them again.
	expect(new URL(page.url()).search).toBe('');

	await page.getByRole('button', { name: 'Encrypt and upload' }).click();
	const linkField = page.getByLabel('Share link');
	await expect(linkField).toBeVisible({ timeout: 60_000 });
	const link = await linkField.inputValue();

	const recipient = await browser.newContext();
	await withoutFilePickers(recipient);
	const other = await recipient.newPage();
	await other.goto(link);
	await other.getByRole('button', { name: 'Show message' }).click();
	expect(await other.getByTestId('note').innerText()).toBe('Trip\nPhotos from Sunday');
	const downloads = await collectDownloads(other, 2, () => other.getByRole('button', { name: 'Download all', exact: true }).click());
	const byName = new Map(
		await Promise.all(downloads.map(async (d) => [d.suggestedFilename(), await sha256File((await d.path())!)] as const))
	);
	expect(byName.get('holiday photo.jpg')).toBe(photo.sha256);
	expect(byName.get('notes.txt')).toBe(notes.sha256);
	await recipient.close();
	await context.close();
});
