import { randomBytes } from 'node:crypto';
import { appendFile, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliHarness, fileSha, sha } from './harness';

/** `sealdrop send` then `sealdrop get` against a real server on 127.0.0.1, in-process. */
describe('sealdrop send → get', () => {
	const h = new CliHarness();
	beforeAll(() => h.start());
	afterAll(() => h.close());

	it('round-trips files and a nested folder, recreated inside -o', async () => {
		const big = randomBytes(3 * 1024 * 1024 + 17);
		await h.write('src/big.bin', big);
		await h.write('src/docs/readme.txt', 'hello');
		await h.write('src/docs/sub/deep.txt', 'deep');
		await h.write('src/docs/empty.txt', '');
		const sent = await h.run(['send', 'src/big.bin', 'src/docs', '--expires', '1d', '--json']);
		expect(sent.stderr).toBe('');
		expect(sent.code).toBe(0);
		const out = JSON.parse(sent.stdout) as { link: string; id: string };
		expect(out.link).toMatch(new RegExp(`^${h.server.url}/s/${out.id}#[\\w-]{43}$`));
		expect(sent.stdout).not.toContain('ownerToken');

		const got = await h.run(['get', out.link, '-o', 'out']);
		expect(got.stderr).toBe('');
		expect(got.code).toBe(0);
		expect(await fileSha(h.path('out/big.bin'))).toBe(sha(big));
		expect(await readFile(h.path('out/docs/readme.txt'), 'utf8')).toBe('hello');
		expect(await readFile(h.path('out/docs/sub/deep.txt'), 'utf8')).toBe('deep');
		expect((await stat(h.path('out/docs/empty.txt'))).size).toBe(0);
		// No temporary file is left behind.
		expect((await readdir(h.path('out'), { recursive: true })).filter((n) => n.includes('.part'))).toEqual([]);
	});

	it('a file changed after it was chosen is not sent (files are read from disk, checked as a browser checks a File)', async () => {
		const path = await h.write('changing.bin', randomBytes(200_000));
		let changed = false;
		const sent = await h.run(['send', 'changing.bin'], {
			env: { XDG_CONFIG_HOME: h.path('config-changing') }, // its unfinished upload stays out of the other tests' folder
			// The share is created with the old size; the file grows before its first part is read.
			fetch: async (input, init) => {
				const res = await globalThis.fetch(input, init);
				if (!changed && init?.method === 'POST' && String(input).endsWith('/api/v1/shares')) {
					changed = true;
					await appendFile(path, 'more');
				}
				return res;
			}
		});
		expect(changed).toBe(true);
		expect(sent.stderr).toContain('[READ_FAILED]');
		expect(sent.code).toBe(7);
	});

	it('streams standard input in and one file out to standard output', async () => {
		const bytes = randomBytes(200_000);
		const sent = await h.run(['send', '-', '--name', 'dir.tar'], { stdin: bytes });
		expect(sent.code).toBe(0);
		const info = await h.run(['info', sent.stdout.trim(), '--json']);
		expect(JSON.parse(info.stdout).files).toEqual([{ name: 'dir.tar', size: bytes.length, type: '' }]);
		const got = await h.run(['get', sent.stdout.trim(), '--stdout']);
		expect(got.code).toBe(0);
		expect(sha(got.stdoutBytes)).toBe(sha(bytes));
		// Nothing of standard input stays in the config folder.
		expect(await readdir(join(h.configHome, 'sealdrop', 'spool'))).toEqual([]);
	});

	it('standard input interrupted mid-way is removed, not kept for a resume (it cannot be read again)', async () => {
		const controller = new AbortController();
		let created = '';
		// Ctrl-C once the share exists and the upload is about to send its parts.
		const interrupting: typeof fetch = async (input, init) => {
			const path = new URL(String(input)).pathname;
			if (path.endsWith('/parts')) {
				created = path.split('/')[4]!;
				controller.abort();
			}
			return fetch(input, init);
		};
		const sent = await h.run(['send', '-'], { stdin: randomBytes(1000), fetch: interrupting, signal: controller.signal });
		expect(sent.code).toBe(130);
		expect(await readdir(join(h.configHome, 'sealdrop', 'state', 'uploads'))).toEqual([]);
		expect((await fetch(`${h.server.url}/api/v1/shares/${created}`)).status).toBe(410);
	});

	it('sends a note alone, or after files; get prints it', async () => {
		const noteOnly = await h.run(['send', '--note', 'the code is 1234']);
		expect(noteOnly.code).toBe(0);
		expect((await h.run(['get', noteOnly.stdout.trim(), '--stdout'])).stdout).toBe('the code is 1234');

		await h.write('n/a.txt', 'a');
		const withFile = await h.run(['send', 'n/a.txt', '--note', 'see a.txt', '--downloads', '1']);
		const got = await h.run(['get', withFile.stdout.trim(), '-o', 'n-out', '--json']);
		expect(got.code).toBe(0);
		expect(JSON.parse(got.stdout)).toMatchObject({ note: 'see a.txt', files: [{ name: 'a.txt', size: 1 }] });
	});

	it('protects a share with a password read from standard input', async () => {
		await h.write('p/secret.txt', 'top secret');
		const sent = await h.run(['send', 'p/secret.txt', '--password-stdin'], { stdin: 'correct horse\n' });
		expect(sent.code).toBe(0);
		const link = sent.stdout.trim();
		// Public info without the password; the files only with it.
		expect(JSON.parse((await h.run(['info', link, '--json'])).stdout)).toMatchObject({ password: true, files: null, note: null, size: 10 });
		const opened = await h.run(['info', link, '--json', '--password-stdin'], { stdin: 'correct horse\n' });
		expect(JSON.parse(opened.stdout)).toMatchObject({ files: [{ name: 'secret.txt', size: 10 }], note: false });
		const none = await h.run(['get', link, '-o', 'p-out']);
		expect([none.code, none.stderr]).toEqual([2, expect.stringContaining('[PASSWORD_REQUIRED]')]);
		const wrong = await h.run(['get', link, '-o', 'p-out', '--password-stdin'], { stdin: 'wrong\n' });
		expect([wrong.code, wrong.stderr]).toEqual([5, expect.stringContaining('[WRONG_PASSWORD]')]);
		const right = await h.run(['get', link, '-o', 'p-out', '--password-stdin'], { stdin: 'correct horse\n' });
		expect(right.code).toBe(0);
		expect(await readFile(h.path('p-out/secret.txt'), 'utf8')).toBe('top secret');
	}, 60_000); // four Argon2id runs: seconds each on a busy machine (vitest's default is 5)

	it('takes the default server from the config file when SEALDROP_SERVER is not set', async () => {
		const none = { SEALDROP_SERVER: '' };
		expect(await h.run(['send', '--note', 'n'], { env: none })).toMatchObject({ code: 2, stderr: expect.stringContaining('No server') });
		expect((await h.run(['config', 'server', `${h.server.url}/some/page`], { env: none })).code).toBe(0);
		expect((await h.run(['config'], { env: none })).stdout).toBe(`server ${h.server.url}\n`);
		const sent = await h.run(['send', '--note', 'n'], { env: none });
		expect(sent.code, sent.stderr).toBe(0);
		expect(sent.stdout.startsWith(`${h.server.url}/s/`)).toBe(true);
	});

	it('keeps a private history: list, extend, limit, delete', async () => {
		await h.write('m/x.txt', 'x');
		const sent = await h.run(['send', 'm/x.txt', '--expires', '1h']);
		const link = sent.stdout.trim();
		const id = link.split('/s/')[1]!.split('#')[0]!;
		const history = join(h.configHome, 'sealdrop', 'history.json');
		expect((await stat(history)).mode & 0o777).toBe(0o600);
		expect((await stat(join(h.configHome, 'sealdrop'))).mode & 0o777).toBe(0o700);

		const listed = await h.run(['list', '--json']);
		const row = (JSON.parse(listed.stdout) as { id: string }[]).find((r) => r.id === id);
		expect(row).toMatchObject({ id, names: ['x.txt'], maxDownloads: 1 });
		// Neither the key nor the owner token is printed unless asked (--links; the token never).
		expect(listed.stdout).not.toContain(link.split('#')[1]);
		expect(listed.stdout).not.toContain('ownerToken');
		expect((await h.run(['list', '--links'])).stdout).toContain(link);

		const extended = await h.run(['extend', link, '--expires', '7d', '--json']);
		expect(extended.code).toBe(0);
		expect(new Date(JSON.parse(extended.stdout).expiresAt).getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
		const limited = await h.run(['limit', id, '--downloads', '5', '--json']);
		expect(JSON.parse(limited.stdout)).toMatchObject({ maxDownloads: 5 });
		expect((await h.run(['info', link, '--json'])).stdout).toContain('"downloadsLeft":5');

		expect((await h.run(['delete', link])).code).toBe(0);
		const gone = await h.run(['get', link, '-o', 'm-out']);
		expect([gone.code, gone.stderr]).toEqual([4, expect.stringMatching(/\[(DELETED|NOT_FOUND)\]/)]);
		expect((await h.run(['list', '--json'])).stdout).not.toContain(id);
	});
});
