import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { startHttpProxy } from './cut-proxy';
import { expect, test } from './fixtures';
import { collectDownloads, makeFile, sha256File, withoutFilePickers, type TestFile } from './helpers';

// A file request end to end, every side a real client: the requester in one browser, two
// submitters in two others (the larger one cut off and resumed), the requester decrypting both,
// then the exported key opening them in the packaged CLI.

const MiB = 1024 * 1024;
const PART_RE = /\/api\/v1\/shares\/[^/]+\/parts\/(\d+)$/;
const CLI = join(import.meta.dirname, '../../packages/cli/sealdrop.mjs');

async function cli(args: string[], cwd: string, stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
	const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, XDG_CONFIG_HOME: join(cwd, 'config') } });
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
	child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
	child.stdin.end(stdin);
	const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
	return { code, stdout, stderr };
}

/** Sends `file` (and a note) from the request page; resolves when the receipt is shown. */
async function submitFrom(page: Page, link: string, file: TestFile, note?: string): Promise<void> {
	await page.goto(link);
	await page.getByLabel('Choose files', { exact: true }).setInputFiles(file.path);
	if (note) await page.getByLabel(/^Message/).fill(note);
	await page.getByRole('button', { name: 'Encrypt and send' }).click();
	await expect(page.getByRole('heading', { name: 'Sent', exact: true })).toBeFocused({ timeout: 120_000 });
}

/** The requester opens the `index`th submission and saves its one file; its name and sha256. */
async function saveSubmission(page: Page, index: number): Promise<[string, string]> {
	const row = page.getByTestId('submission-row').nth(index);
	await row.getByRole('button', { name: /^Open the submission received/ }).click();
	const button = row.getByTestId('submission').getByRole('button', { name: 'Download', exact: true });
	const [download] = await collectDownloads(page, 1, () => button.click());
	return [download!.suggestedFilename(), await sha256File((await download!.path())!)];
}

test('a request made in one browser, filled from two others (one resumed), read back in the browser and in the CLI', async ({
	browser,
	sealdrop
}, testInfo) => {
	test.setTimeout(300_000);
	const work = await mkdtemp(join(tmpdir(), 'sealdrop-request-e2e-'));
	const contexts: BrowserContext[] = [];
	const context = async () => {
		const made = await browser.newContext();
		await withoutFilePickers(made);
		contexts.push(made);
		return made;
	};
	// The second submitter's parts 1 and later never arrive while its first page is open.
	const proxy = await startHttpProxy(new URL(sealdrop.url), (method, path) => {
		const m = PART_RE.exec(path);
		return method === 'PUT' && m !== null && Number(m[1]) >= 1 ? 'hold' : 'forward';
	});
	try {
		const contract = await makeFile(testInfo.outputDir, 'contract.pdf', 250_000);
		const footage = await makeFile(testInfo.outputDir, 'footage.bin', 40 * MiB + 17); // 6 parts; saved through the service worker

		// The requester: a request, its link.
		const requester = await (await context()).newPage();
		await requester.goto(`${sealdrop.url}/requests`);
		await requester.getByLabel('Title').fill('Evidence for case 1187');
		await requester.getByRole('button', { name: 'Create request' }).click();
		const entry = requester.getByTestId('request-entry');
		const link = await entry.getByLabel('Request link').inputValue();
		const [requestId, secret] = [new URL(link).pathname.split('/').at(-1)!, new URL(link).hash.slice(1)];

		// Submitter one: a file and a note. It can neither list the request nor read its own submission back.
		const first = await (await context()).newPage();
		await submitFrom(first, link, contract, 'Signed, page 4 initialled.');
		const receiptId = await first.getByTestId('receipt-id').textContent();
		for (const path of [`/api/v1/requests/${requestId}/submissions`, `/api/v1/shares/${receiptId}/metadata`]) {
			expect((await first.request.get(`${sealdrop.url}${path}`)).status(), path).toBe(401);
		}

		// Submitter two: cut off after the first part, the page closed, then resumed in a new one.
		const secondContext = await context();
		const cut = await secondContext.newPage();
		const viaProxy = `${proxy.url}${new URL(link).pathname}#${secret}`;
		await cut.goto(viaProxy);
		await cut.getByLabel('Choose files', { exact: true }).setInputFiles(footage.path);
		await cut.getByRole('button', { name: 'Encrypt and send' }).click();
		await expect
			.poll(() => proxy.answered.filter((line) => line.startsWith('200 PUT') && PART_RE.test(line)).length, { timeout: 60_000 })
			.toBe(1);
		await cut.close({ runBeforeUnload: false });
		proxy.release();
		const resumed = await secondContext.newPage();
		await resumed.goto(viaProxy);
		await resumed.getByLabel(/Choose the files to resume footage\.bin/).setInputFiles(footage.path);
		await expect(resumed.getByRole('heading', { name: 'Sent', exact: true })).toBeFocused({ timeout: 120_000 });
		const partsSent = proxy.answered.flatMap((line) => {
			const m = line.startsWith('200 PUT') ? PART_RE.exec(line.split(' ')[2]!) : null;
			return m ? [Number(m[1])] : [];
		});
		expect(partsSent.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]); // each part once

		// The requester reads both in the browser.
		await requester.getByRole('button', { name: 'Refresh' }).click();
		await expect(entry.getByTestId('request-count')).toContainText('Received: 2 of');
		await entry.getByRole('button', { name: 'Submissions' }).click();
		await expect(requester.getByTestId('submission-row')).toHaveCount(2);
		const saved = [await saveSubmission(requester, 0), await saveSubmission(requester, 1)];
		expect(saved.sort()).toEqual(
			[
				[contract.name, contract.sha256],
				[footage.name, footage.sha256]
			].sort()
		);

		// The exported key opens both in the CLI, on another "machine" (its own config folder).
		await entry.getByRole('button', { name: 'Export key' }).click();
		await entry.getByLabel('Passphrase for the key file').fill('amber kettle 39 meadow');
		const [keyDownload] = await collectDownloads(requester, 1, () => entry.getByRole('button', { name: 'Save key file' }).click());
		const keyFile = join(work, 'request.key.json');
		await keyDownload!.saveAs(keyFile);
		const imported = await cli(['key', 'import', keyFile, '--passphrase-stdin'], work, 'amber kettle 39 meadow\n');
		expect(imported.code).toBe(0);
		expect(imported.stderr).toContain('Imported the key of request');
		const got = await cli(['request', 'get', link, '-o', 'received', '--json'], work, '');
		expect(got.stderr).toBe('');
		expect(got.code).toBe(0);
		const report = JSON.parse(got.stdout) as { submissions: { id: string; files: string[]; note?: string }[] };
		expect(report.submissions.map((s) => s.note ?? null).sort()).toEqual([null, 'Signed, page 4 initialled.'].sort());
		const inCli: [string, string][] = [];
		for (const submission of await readdir(join(work, 'received'))) {
			for (const name of await readdir(join(work, 'received', submission))) {
				inCli.push([name, await sha256File(join(work, 'received', submission, name))]);
			}
		}
		expect(inCli.sort()).toEqual(saved.sort());
	} finally {
		for (const made of contexts) await made.close();
		await proxy.close();
		await rm(work, { recursive: true, force: true });
	}
});
