import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { collectDownloads, makeFile, sha256File, uploadThroughUi, withoutFilePickers } from './helpers';

const CLI = join(import.meta.dirname, '../../packages/cli/sealdrop.mjs');

/** Runs the packaged CLI (built by `npm run build`) with its own config folder. */
async function sealdropCli(
	args: string[],
	opts: { cwd: string; server: string; stdin?: string }
): Promise<{ code: number; stdout: string; stderr: string }> {
	const child = spawn(process.execPath, [CLI, ...args], {
		cwd: opts.cwd,
		env: { ...process.env, XDG_CONFIG_HOME: join(opts.cwd, 'config'), SEALDROP_SERVER: opts.server }
	});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
	child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
	child.stdin.end(opts.stdin ?? '');
	const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
	return { code, stdout, stderr };
}

test.describe('the CLI and the browser read each other’s shares', () => {
	let work: string;
	test.beforeEach(async () => {
		work = await mkdtemp(join(tmpdir(), 'sealdrop-cli-e2e-'));
	});
	test.afterEach(async () => {
		await rm(work, { recursive: true, force: true });
	});

	test('browser upload with a password and a note → sealdrop get', async ({ page, sealdrop }, testInfo) => {
		const big = await makeFile(testInfo.outputDir, 'report.bin', 2 * 1024 * 1024 + 5);
		const small = await makeFile(testInfo.outputDir, 'notes.txt', 1000);
		const link = await uploadThroughUi(page, sealdrop.url, [big.path, small.path], { password: 'pässword 1', note: 'from the browser' });

		const got = await sealdropCli(['get', link, '-o', 'out', '--password-stdin', '--json'], {
			cwd: work,
			server: sealdrop.url,
			stdin: 'pässword 1\n'
		});
		expect(got.stderr).toBe('');
		expect(got.code).toBe(0);
		expect(JSON.parse(got.stdout)).toMatchObject({ note: 'from the browser' });
		expect(await sha256File(join(work, 'out/report.bin'))).toBe(big.sha256);
		expect(await sha256File(join(work, 'out/notes.txt'))).toBe(small.sha256);
	});

	test('sealdrop send of a nested folder with a password and a note → browser download', async ({ browser, sealdrop }) => {
		await mkdir(join(work, 'album/2024/summer'), { recursive: true });
		const a = await makeFile(join(work, 'album'), 'cover.bin', 300_000);
		const b = await makeFile(join(work, 'album/2024/summer'), 'beach.bin', 1_500_000);
		const sent = await sealdropCli(['send', 'album', '--password-stdin', '--note', 'from the terminal', '--downloads', '5'], {
			cwd: work,
			server: sealdrop.url,
			stdin: 'pässword 2\n'
		});
		expect(sent.stderr).toBe('');
		expect(sent.code).toBe(0);
		const link = sent.stdout.trim();

		const context = await browser.newContext();
		await withoutFilePickers(context);
		const page = await context.newPage();
		await page.goto(link);
		await page.getByLabel('Password', { exact: true }).fill('pässword 2');
		await page.getByRole('button', { name: 'Unlock' }).click();
		const list = page.getByRole('list', { name: 'Files' });
		await expect(list).toContainText('album/2024/summer/beach.bin');
		await expect(list).toContainText('album/cover.bin');
		const downloads = await collectDownloads(page, 2, () => page.getByRole('button', { name: 'Download all', exact: true }).click());
		const hashes = await Promise.all(downloads.map(async (d) => sha256File((await d.path())!)));
		expect(hashes.sort()).toEqual([a.sha256, b.sha256].sort());
		await page.getByRole('button', { name: 'Show message' }).click();
		await expect(page.getByTestId('note')).toContainText('from the terminal');
		await context.close();
	});
});
