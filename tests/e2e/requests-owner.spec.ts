import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { ApiClient } from '../../src/lib/api/client';
import { inlineBackend, type CryptoBackend } from '../../src/lib/transfer/crypto-backend';
import { openFileRequest, submitFiles } from '../../src/lib/transfer/requests';
import { memoryPendingUploads } from '../../src/lib/uploads/pending-uploads';
import { expect, restrictedTest, test } from './fixtures';
import { collectDownloads, makeFile, sha256File, withoutFilePickers, type TestFile } from './helpers';
import { checkLaptopAndPhone, layoutProblems } from './layout';

const MiB = 1024 * 1024;

/** A submitter with only the link, through the Node client (the submitter's page is another branch's). */
async function submit(origin: string, link: string, file: TestFile, note?: string, crypto: CryptoBackend = inlineBackend) {
	const api = new ApiClient(origin);
	const url = new URL(link);
	const opened = await openFileRequest(api, url.pathname.split('/').at(-1)!, url.hash.slice(1));
	const deps = { api, config: await api.config(), crypto, pending: memoryPendingUploads() };
	return submitFiles(opened, [new File([await readFile(file.path)], file.name)], deps, note);
}

/** Opens the submission in `row` and saves its one file; the download's name and sha256. */
async function downloadSubmission(page: Page, row: ReturnType<Page['getByTestId']>) {
	await row.getByRole('button', { name: /^Open the submission received/ }).click();
	const view = row.getByTestId('submission');
	const button = view.getByRole('button', { name: 'Download', exact: true });
	await expect(button).toBeVisible();
	const [download] = await collectDownloads(page, 1, () => button.click());
	await expect(view.getByText('Saved and verified')).toBeVisible();
	return { name: download!.suggestedFilename(), url: download!.url(), sha256: await sha256File((await download!.path())!) };
}

test('requester: creates a request, sees submissions arrive, decrypts them, deletes, closes, and moves the key to a fresh browser', async ({
	browser,
	sealdrop
}, testInfo) => {
	test.setTimeout(300_000);
	const big = await makeFile(testInfo.outputDir, 'scan.bin', 40 * MiB + 123); // past 32 MiB: streamed, not held in memory
	const small = await makeFile(testInfo.outputDir, 'receipt.pdf', 70_000);

	const context = await browser.newContext({ bypassCSP: true });
	await withoutFilePickers(context);
	const page = await context.newPage();
	await page.goto(sealdrop.url);
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Requests' }).click();
	await expect(page.getByRole('heading', { name: 'File requests', level: 1 })).toBeVisible();
	await expect(page.getByTestId('no-requests')).toBeVisible();
	await page.getByLabel('Title').fill('Tax documents 2026');
	await page.getByLabel('Message (optional)').fill('The scans and the receipt, please.');
	await page.getByLabel('Most submissions').fill('5');
	await page.getByRole('button', { name: 'Create request' }).click();
	await expect(page.getByTestId('live-status')).toHaveText('Request created. Its link is in the list below.');
	const entry = page.getByTestId('request-entry');
	await expect(entry.getByRole('heading', { name: 'Tax documents 2026' })).toBeVisible();
	await expect(entry.getByTestId('request-count')).toHaveText('Received: 0 of 5');
	const link = await entry.getByLabel('Request link').inputValue();
	expect(link).toMatch(new RegExp(`^${sealdrop.url}/r/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{43}$`));
	await entry.getByRole('button', { name: 'Show QR code' }).click();
	await expect(entry.getByTestId('qr-code')).toBeVisible();
	await checkLaptopAndPhone(page, testInfo, 'requests-created');

	await submit(sealdrop.url, link, big);
	await submit(sealdrop.url, link, small, 'Receipt from the pharmacy');
	await page.getByRole('button', { name: 'Refresh' }).click();
	await expect(entry.getByTestId('request-count')).toHaveText('Received: 2 of 5');

	await entry.getByRole('button', { name: 'Submissions' }).click();
	const rows = entry.getByTestId('submission-row');
	await expect(rows).toHaveCount(2);
	const saved = [await downloadSubmission(page, rows.nth(0)), await downloadSubmission(page, rows.nth(1))];
	expect(saved.map((s) => [s.name, s.sha256])).toEqual([
		[big.name, big.sha256],
		[small.name, small.sha256]
	]);
	expect(saved[0]!.url).toContain('/_download/'); // the service worker streamed the large one
	await rows.nth(1).getByRole('button', { name: 'Show message' }).click();
	await expect(rows.nth(1).getByTestId('submission-note')).toHaveText('Receipt from the pharmacy');
	await checkLaptopAndPhone(page, testInfo, 'requests-submission-open');

	await rows
		.nth(1)
		.getByRole('button', { name: /^Delete the submission received/ })
		.click();
	await expect(rows).toHaveCount(1);
	await expect(entry.getByRole('button', { name: 'Submissions' })).toBeFocused();
	await entry.getByRole('button', { name: 'Close request' }).click();
	await expect(entry.getByTestId('request-status')).toContainText('Closed');
	await expect(entry.getByLabel('Request link')).toHaveCount(0);
	await expect(submit(sealdrop.url, link, small)).rejects.toMatchObject({ code: 'REQUEST_CLOSED' });

	await entry.getByRole('button', { name: 'Export key' }).click();
	await entry.getByLabel('Passphrase for the key file').fill('quiet harbour 58 lantern');
	const [keyDownload] = await collectDownloads(page, 1, () => entry.getByRole('button', { name: 'Save key file' }).click());
	await expect(entry.getByText('Key file saved.')).toBeVisible();
	const keyFile = join(testInfo.outputDir, keyDownload!.suggestedFilename());
	expect(keyDownload!.suggestedFilename()).toMatch(/^sealdrop-request-[A-Za-z0-9_-]{22}\.json$/);
	await keyDownload!.saveAs(keyFile);
	const keyText = await readFile(keyFile, 'utf8');
	for (const secret of ['Tax documents', new URL(link).hash.slice(1)]) expect(keyText).not.toContain(secret);
	await context.close();

	// A fresh browser: nothing here until the key file is imported.
	const fresh = await browser.newContext({ bypassCSP: true });
	await withoutFilePickers(fresh);
	const other = await fresh.newPage();
	await other.goto(`${sealdrop.url}/requests`);
	await expect(other.getByTestId('no-requests')).toBeVisible();
	await other.getByLabel('Key file', { exact: true }).setInputFiles(keyFile);
	await other.getByLabel('Passphrase', { exact: true }).fill('quiet harbour 58 lanterns');
	await other.getByRole('button', { name: 'Import', exact: true }).click();
	await expect(other.getByRole('form', { name: 'Import a key file' }).getByRole('alert')).toHaveText(
		'The passphrase is wrong, or the key file was changed. Check the passphrase and try again.',
		{
			timeout: 60_000
		}
	);
	await checkLaptopAndPhone(other, testInfo, 'requests-import-wrong-passphrase');
	await other.getByLabel('Passphrase', { exact: true }).fill('quiet harbour 58 lantern');
	await other.getByRole('button', { name: 'Import', exact: true }).click();
	await expect(other.getByTestId('live-status')).toHaveText('Request “Tax documents 2026” added to this browser.', { timeout: 60_000 });
	const imported = other.getByTestId('request-entry');
	await expect(imported.getByTestId('request-count')).toHaveText('Received: 2 of 5');
	await imported.getByRole('button', { name: 'Submissions' }).click();
	await expect(imported.getByTestId('submission-row')).toHaveCount(1);
	const again = await downloadSubmission(other, imported.getByTestId('submission-row').first());
	expect([again.name, again.sha256]).toEqual([big.name, big.sha256]);
	await fresh.close();
});

test('requester: a full request and an upload still running are said; a text submission previews; a failed close is said in its entry', async ({
	browser,
	sealdrop
}, testInfo) => {
	test.setTimeout(180_000);
	const text = { name: 'notes.txt', path: join(testInfo.outputDir, 'notes.txt'), sha256: '', marker: '' };
	const slow = await makeFile(testInfo.outputDir, 'scan.bin', 200_000);
	await writeFile(text.path, 'Invoice 2026-031, paid in full.\n');
	const context = await browser.newContext({ bypassCSP: true });
	const page = await context.newPage();
	await page.goto(`${sealdrop.url}/requests`);
	await page.getByLabel('Title').fill('Invoices');
	await page.getByLabel('Most submissions').fill('2');
	await page.getByRole('button', { name: 'Create request' }).click();
	const entry = page.getByTestId('request-entry');
	const link = await entry.getByLabel('Request link').inputValue();

	await submit(sealdrop.url, link, text);
	// The second submitter's upload is held before its first part: created, still uploading.
	let release = () => {};
	const held = new Promise<void>((resolve) => (release = resolve));
	const holding: CryptoBackend = {
		...inlineBackend,
		async sendPart(part, signal) {
			await held;
			return inlineBackend.sendPart(part, signal);
		}
	};
	const uploading = submit(sealdrop.url, link, slow, undefined, holding);
	await expect
		.poll(async () => (await new ApiClient(sealdrop.url).requestInfo(new URL(link).pathname.split('/').at(-1)!)).submissions)
		.toBe(2);

	await page.getByRole('button', { name: 'Refresh' }).click();
	await expect(entry.getByTestId('request-status')).toContainText('Full: no more submissions');
	await entry.getByRole('button', { name: 'Submissions' }).click();
	const rows = entry.getByTestId('submission-row');
	await expect(rows).toHaveCount(2);
	await expect(rows.nth(1)).toContainText('Still uploading');
	// This server streams (filesystem store): a submission still uploading can be opened.
	await expect(rows.nth(1).getByTestId('submission-uploading')).toHaveText('Still uploading: open it to read what has arrived');

	await rows
		.nth(0)
		.getByRole('button', { name: /^Open the submission received/ })
		.click();
	await rows.nth(0).getByRole('button', { name: 'Preview notes.txt' }).click();
	await expect(rows.nth(0).getByTestId('text-preview')).toHaveText('Invoice 2026-031, paid in full.\n');
	await checkLaptopAndPhone(page, testInfo, 'requests-full-uploading-preview');
	await page.emulateMedia({ colorScheme: 'light' });

	// Close fails (the network is down): said in this request's entry, announced, not at the top of the page.
	await context.setOffline(true);
	await entry.getByRole('button', { name: 'Close request' }).click();
	await expect(entry.getByRole('alert')).toContainText(/network|connection|reach/i);
	await expect(page.getByRole('alert')).toHaveCount(1);
	await expect(entry.getByRole('alert')).toBeFocused();
	await checkLaptopAndPhone(page, testInfo, 'requests-close-failed');
	await context.setOffline(false);
	await entry.getByRole('button', { name: 'Close request' }).click();
	await expect(entry.getByTestId('request-status')).toContainText('Closed');
	await expect(entry.getByRole('alert')).toHaveCount(0);

	release();
	await uploading;
	await context.close();
});

restrictedTest('restricted server: making a request needs an account, as uploading does', async ({ browser, restricted }, testInfo) => {
	const context = await browser.newContext({ bypassCSP: true });
	const page = await context.newPage();
	await page.goto(`${restricted.url}/requests`);
	await expect(page.getByTestId('login-needed')).toBeVisible();
	await expect(page.getByRole('button', { name: 'Create request' })).toHaveCount(0);
	await expect(page.getByRole('heading', { name: 'Import a key file' })).toBeVisible();
	await checkLaptopAndPhone(page, testInfo, 'requests-login-needed');
	await context.close();

	// Four menu links in a long language still fit the narrowest phone.
	const german = await browser.newContext({ locale: 'de-DE', viewport: { width: 360, height: 800 } });
	const seite = await german.newPage();
	await seite.goto(`${restricted.url}/requests`);
	await expect(seite.getByRole('navigation').getByRole('link', { name: 'Konto' })).toBeVisible();
	await seite.screenshot({ path: testInfo.outputPath('requests-de-360.png'), fullPage: true });
	expect(await layoutProblems(seite)).toEqual([]);
	await german.close();
});
