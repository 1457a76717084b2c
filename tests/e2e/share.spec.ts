import { readFile } from 'node:fs/promises';
import { expect, test } from './fixtures';
import { collectDownloads, filesBelow, makeFile, sha256File, uploadThroughUi, withoutFilePickers } from './helpers';

test.describe('share a link end to end', () => {
	test('two files go up encrypted and come back identical in another browser', async ({ browser, sealdrop }, testInfo) => {
		const dir = testInfo.outputDir;
		const big = await makeFile(dir, 'report.bin', 3 * 1024 * 1024 + 123);
		const small = await makeFile(dir, 'notes.txt', 1000);

		// Everything either browser sends, to prove the secret never leaves the tab.
		const sent: string[] = [];
		const sender = await browser.newContext();
		sender.on('request', (r) => sent.push(`${r.method()} ${r.url()} ${JSON.stringify(r.headers())} ${r.postData() ?? ''}`));
		const link = await uploadThroughUi(await sender.newPage(), sealdrop.url, [big.path, small.path]);
		const url = new URL(link);
		const secret = url.hash.slice(1);
		expect(url.pathname).toMatch(/^\/s\/[A-Za-z0-9_-]{22}$/);
		expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

		const recipient = await browser.newContext();
		await withoutFilePickers(recipient);
		recipient.on('request', (r) => sent.push(`${r.method()} ${r.url()} ${JSON.stringify(r.headers())} ${r.postData() ?? ''}`));
		const page = await recipient.newPage();
		await page.goto(link);
		const list = page.getByRole('list', { name: 'Files' });
		await expect(list).toContainText('report.bin');
		await expect(list).toContainText('notes.txt');
		await expect(page.getByTestId('share-status')).toContainText('1 download left');

		const downloads = await collectDownloads(page, 2, () => page.getByRole('button', { name: 'Download all', exact: true }).click());
		const byName = new Map(
			await Promise.all(downloads.map(async (d) => [d.suggestedFilename(), await sha256File((await d.path())!)] as const))
		);
		expect(byName.get('report.bin')).toBe(big.sha256);
		expect(byName.get('notes.txt')).toBe(small.sha256);
		await expect(page.getByRole('status').filter({ hasText: 'Saved and verified' })).toBeVisible();

		expect(sent.length).toBeGreaterThan(5);
		for (const line of sent) expect(line).not.toContain(secret);

		// The server's disk holds ciphertext only.
		for (const file of await filesBelow(sealdrop.dataDir)) {
			// The server is shared by this worker's tests: a part another test's upload is still
			// receiving can be renamed out of .tmp between the listing and the read.
			const content = await readFile(file).catch((error: NodeJS.ErrnoException) => {
				if (error.code === 'ENOENT' && file.includes('/.tmp/')) return Buffer.alloc(0);
				throw error;
			});
			for (const marker of [big.marker, small.marker, 'report.bin', 'notes.txt', secret]) {
				expect(content.includes(marker), `${marker} found in ${file}`).toBe(false);
			}
		}
		await sender.close();
		await recipient.close();
	});

	test('a limit-1 share refuses the second download with a clear message', async ({ browser, sealdrop }, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'once.bin', 5000);
		const sender = await browser.newPage();
		const link = await uploadThroughUi(sender, sealdrop.url, [file.path], { downloads: '1 download' });

		const first = await browser.newContext();
		await withoutFilePickers(first);
		const page = await first.newPage();
		await page.goto(link);
		const [download] = await collectDownloads(page, 1, () => page.getByRole('button', { name: 'Download' }).click());
		expect(await sha256File((await download!.path())!)).toBe(file.sha256);

		const second = await (await browser.newContext()).newPage();
		await second.goto(link);
		await expect(second.getByRole('alert')).toHaveAttribute('data-code', 'DOWNLOAD_LIMIT_REACHED');
		await expect(second.getByRole('alert')).toContainText('download limit');
		await expect(second.getByRole('heading', { level: 1 })).toHaveText('This share is used up');
		await expect(second.getByRole('link', { name: 'send files of your own' })).toBeVisible();
		await expect(second.getByRole('button', { name: 'Download' })).toHaveCount(0);
	});

	test('opening the link costs nothing; a changed key says so and spends nothing', async ({ browser, sealdrop }, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'keep.bin', 2000);
		const link = await uploadThroughUi(await browser.newPage(), sealdrop.url, [file.path]);
		const url = new URL(link);
		const secret = url.hash.slice(1);
		const flipped = secret.slice(0, 10) + (secret[10] === 'A' ? 'B' : 'A') + secret.slice(11);

		const page = await browser.newPage();
		for (let i = 0; i < 3; i++) {
			await page.goto(`${url.origin}${url.pathname}#${flipped}`);
			await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'WRONG_KEY');
		}
		await expect(page.getByRole('alert')).toContainText('damaged');

		// A damaged key is BAD_SECRET; a missing one may have been sent apart, so the page asks for it.
		await page.goto(`${url.origin}${url.pathname}#${secret.slice(0, 20)}`);
		await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'BAD_SECRET');
		await page.goto(`${url.origin}${url.pathname}`);
		await expect(page.getByLabel('Key', { exact: true })).toBeVisible();
		await expect(page.getByRole('alert')).toHaveCount(0);

		// Previews, bots and wrong keys spent nothing: the share still has its one download.
		const info = (await (await fetch(`${sealdrop.url}/api/v1/shares/${url.pathname.slice(3)}`)).json()) as { downloadsLeft: number };
		expect(info.downloadsLeft).toBe(1);
		await page.goto(link);
		await expect(page.getByTestId('share-status')).toContainText('1 download left');
	});

	test('unknown, malformed and tampered shares each get their own message', async ({ browser, sealdrop }) => {
		const page = await browser.newPage();
		await page.goto(`${sealdrop.url}/s/AAAAAAAAAAAAAAAAAAAAAA#${'A'.repeat(43)}`);
		await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'NOT_FOUND');
		await page.goto(`${sealdrop.url}/s/not-an-id#${'A'.repeat(43)}`);
		await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'INVALID_ID');
		await expect(page.getByRole('heading', { level: 1 })).toHaveText('Share not found');

		// The server is unreachable: every API request fails at the network level.
		await page.route('**/api/**', (route) => route.abort('connectionrefused'));
		await page.goto(`${sealdrop.url}/s/AAAAAAAAAAAAAAAAAAAAAA#${'A'.repeat(43)}`);
		await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'NETWORK');
		await expect(page.getByRole('alert')).toContainText('Cannot reach the server');
		await expect(page.getByRole('heading', { level: 1 })).toHaveText('This share cannot be opened');
	});
});
