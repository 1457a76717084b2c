import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { collectDownloads, makeFile, sha256File, withoutFilePickers, type TestFile } from './helpers';

const run = promisify(execFile);

/** album/ with a subfolder, and two files named x.txt in different folders. */
async function makeAlbum(root: string): Promise<Map<string, TestFile>> {
	const album = join(root, 'album');
	const files = new Map<string, TestFile>();
	for (const [path, size] of [
		['a.bin', 70_000],
		['x.txt', 10],
		['sub/x.txt', 20],
		['sub/deeper/c.dat', 5000]
	] as const) {
		const slash = path.lastIndexOf('/');
		files.set(`album/${path}`, await makeFile(join(album, path.slice(0, slash + 1)), path.slice(slash + 1), size));
	}
	return files;
}

async function uploadPicked(page: Page): Promise<string> {
	await page.getByRole('button', { name: 'Encrypt and upload' }).click();
	const link = page.getByLabel('Share link');
	await expect(link).toBeVisible({ timeout: 120_000 });
	return link.inputValue();
}

test.describe('folders', () => {
	test('a picked folder goes up with its paths; the ZIP keeps the tree, single saves are named uniquely', async ({
		browser,
		sealdrop
	}, testInfo) => {
		const dir = testInfo.outputDir;
		const files = await makeAlbum(dir);
		const sender = await browser.newPage();
		await sender.goto(sealdrop.url);
		await sender.getByLabel('Choose a folder').setInputFiles(join(dir, 'album'));
		const selected = sender.getByRole('list', { name: 'Selected files' });
		await expect(selected.getByRole('listitem')).toHaveCount(4);
		for (const path of files.keys()) await expect(selected).toContainText(path);
		await sender.getByLabel('Download limit').selectOption({ label: '5 downloads' });
		const link = await uploadPicked(sender);

		const context = await browser.newContext();
		await withoutFilePickers(context);
		const page = await context.newPage();
		await page.goto(link);
		const list = page.getByRole('list', { name: 'Files' });
		for (const path of files.keys()) await expect(list).toContainText(path);

		const [download] = await collectDownloads(page, 1, () => page.getByRole('button', { name: 'Download all as ZIP' }).click());
		expect(download!.suggestedFilename()).toBe('album.zip');
		await expect(page.getByRole('status').filter({ hasText: 'Saved and verified' })).toBeVisible();
		const zip = (await download!.path())!;
		const listing = (await run('unzip', ['-Z1', zip])).stdout.trim().split('\n').sort();
		expect(listing).toEqual([...files.keys()].sort());
		const { stdout: long } = await run('unzip', ['-l', zip]);
		for (const path of files.keys()) expect(long).toContain(path);
		const out = join(dir, 'unzipped');
		await mkdir(out, { recursive: true });
		await run('unzip', ['-o', '-q', zip, '-d', out]);
		for (const [path, file] of files) expect(await sha256File(join(out, path))).toBe(file.sha256);

		// One at a time the browser cannot make folders: the last segment, unique over the share.
		const [single] = await collectDownloads(page, 1, () => page.getByRole('button', { name: 'Download album/sub/x.txt' }).click());
		expect(single!.suggestedFilename()).toBe('x (2).txt');
		expect(await sha256File((await single!.path())!)).toBe(files.get('album/sub/x.txt')!.sha256);
		await context.close();
	});

	test('a dropped folder (a real drag from the file system) goes up with its paths', async ({ browser, sealdrop }, testInfo) => {
		const dir = testInfo.outputDir;
		const files = await makeAlbum(dir);
		const loose = await makeFile(dir, 'loose.txt', 30);
		const page = await browser.newPage();
		await page.goto(sealdrop.url);
		await dropPaths(page, [join(dir, 'album'), loose.path]);
		const selected = page.getByRole('list', { name: 'Selected files' });
		await expect(selected.getByRole('listitem')).toHaveCount(5);
		for (const path of [...files.keys(), 'loose.txt']) await expect(selected).toContainText(path);
		const link = await uploadPicked(page);

		const recipient = await browser.newPage();
		await recipient.goto(link);
		const list = recipient.getByRole('list', { name: 'Files' });
		for (const path of files.keys()) await expect(list).toContainText(path);
	});

	test('an empty folder, dropped or picked, says so and adds nothing; no share is made', async ({ browser, sealdrop }, testInfo) => {
		const empty = join(testInfo.outputDir, 'empty', 'nothing');
		await mkdir(join(empty, 'inner'), { recursive: true });
		const page = await browser.newPage();
		const posts: string[] = [];
		page.on('request', (r) => {
			if (r.method() === 'POST') posts.push(r.url());
		});
		await page.goto(sealdrop.url);
		await dropPaths(page, [empty]);
		await expect(page.getByRole('alert')).toContainText('The folder “nothing” has no files in it, so nothing was added.');
		await expect(page.getByRole('list', { name: 'Selected files' })).toHaveCount(0);
		await expect(page.getByRole('button', { name: 'Encrypt and upload' })).toBeDisabled();
		expect(posts).toEqual([]);

		await page.reload();
		await page.getByLabel('Choose a folder').setInputFiles(empty);
		await expect(page.getByRole('alert')).toContainText('The folder you chose has no files in it, so nothing was added.');
		await expect(page.getByRole('list', { name: 'Selected files' })).toHaveCount(0);
		expect(posts).toEqual([]);
	});
});

/** Drags `paths` from the file system onto the drop zone, as the OS would (Chromium's CDP). */
async function dropPaths(page: Page, paths: string[]): Promise<void> {
	const box = (await page.getByText('Drop files or folders here').boundingBox())!;
	const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
	const cdp = await page.context().newCDPSession(page);
	const data = { items: [], files: paths, dragOperationsMask: 1 };
	for (const type of ['dragEnter', 'dragOver', 'drop'] as const) await cdp.send('Input.dispatchDragEvent', { type, x, y, data });
	await cdp.detach();
}
