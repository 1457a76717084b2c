import SQLite from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../../src/lib/api/client';
import { exportRequestKey, generateRequestKeyPair } from '../../../src/lib/crypto';
import { createFileRequest, requestLink } from '../../../src/lib/transfer/requests';
import { FakeClock } from '../../server/helpers';
import { CliHarness, fileSha, sha } from './harness';

const DAY = 86400_000;

/** `sealdrop request …`, `submit` and `key …` against a real server on 127.0.0.1, in-process. */
describe('sealdrop file requests', () => {
	const clock = new FakeClock(Date.now());
	const h = new CliHarness();
	beforeAll(() => h.start({}, { clock }));
	afterAll(() => h.close());

	const create = async (...extra: string[]) => {
		const made = await h.run(['request', 'create', '--title', 'Receipts 2026', '--message', 'PDFs please', '--json', ...extra]);
		expect(made.code, made.stderr).toBe(0);
		return JSON.parse(made.stdout) as { link: string; id: string; maxSubmissions: number };
	};
	const puts = () => h.requests.filter((r) => r.method === 'PUT').length;

	it('create → two submissions → get: every file decrypted into DIR/<submission>/, sha256 equal; a key file opens them elsewhere', async () => {
		const { link, id } = await create('--max-submissions', '5');
		expect(link).toMatch(new RegExp(`^${h.server.url}/r/${id}#[\\w-]{43}$`));
		const requestsFile = join(h.configHome, 'sealdrop', 'requests.json');
		expect((await stat(requestsFile)).mode & 0o777).toBe(0o600);

		const big = randomBytes(3 * 1024 * 1024 + 5);
		await h.write('alice/big.bin', big);
		await h.write('alice/scans/page 1.txt', 'one');
		await h.write('bob/b.txt', 'from bob');
		const first = await h.run(['submit', link, 'alice/big.bin', 'alice/scans', '--note', 'two scans']);
		expect(first.code, first.stderr).toBe(0);
		expect(first.stdout).toMatch(/Sent 2 files and a note .* to “Receipts 2026”\.\nReceipt: submission [\w-]{22} to request/);
		const second = await h.run(['submit', link, 'bob/b.txt', '--json']);
		expect(second.code, second.stderr).toBe(0);
		const receipt = JSON.parse(second.stdout) as { request: string; submission: string };
		expect(receipt.request).toBe(id);

		const got = await h.run(['request', 'get', id, '-o', 'inbox', '--json']);
		expect(got.code, got.stderr).toBe(0);
		const out = JSON.parse(got.stdout) as { submissions: { id: string; files: { path: string }[]; note?: string }[] };
		expect(out.submissions, got.stdout).toHaveLength(2);
		// The fake clock stands still: both have the same time, so they are told apart by the receipt.
		const b = out.submissions.find((s) => s.id === receipt.submission);
		const a = out.submissions.find((s) => s.id !== receipt.submission);
		expect(await fileSha(h.path('inbox', a!.id, 'big.bin'))).toBe(sha(big));
		expect(await readFile(h.path('inbox', a!.id, 'scans', 'page 1.txt'), 'utf8')).toBe('one');
		expect(a!.note).toBe('two scans');
		expect(await readFile(h.path('inbox', b!.id, 'b.txt'), 'utf8')).toBe('from bob');
		// Again: nothing downloaded twice.
		const again = await h.run(['request', 'get', id, '-o', 'inbox']);
		expect(again.code, again.stderr).toBe(0);
		expect(again.stderr).toContain(`${a!.id}: already saved`);

		// The key, exported from this config folder and imported into another, opens the same submissions.
		const exported = await h.run(['key', 'export', id, '-o', 'request.key', '--passphrase-stdin'], { stdin: 'move it safely\n' });
		expect(exported.code, exported.stderr).toBe(0);
		expect((await stat(h.path('request.key'))).mode & 0o777).toBe(0o600);
		// With the optional `request` field (FORMAT.md §11.5): which request, and its owner token, sealed.
		expect(JSON.parse(await readFile(h.path('request.key'), 'utf8'))).toMatchObject({
			format: 'sealdrop-request-key',
			v: 1,
			request: expect.stringMatching(/^[\w-]{100,}$/)
		});
		const laptop = { XDG_CONFIG_HOME: h.path('laptop-config') };
		expect(await h.run(['request', 'get', link, '-o', 'laptop'], { env: laptop })).toMatchObject({
			code: 5,
			stderr: expect.stringContaining('[NO_REQUEST_KEY]')
		});
		const wrong = await h.run(['key', 'import', 'request.key', '--passphrase-stdin'], { stdin: 'not it\n', env: laptop });
		expect(wrong).toMatchObject({ code: 5, stderr: expect.stringContaining('[WRONG_PASSPHRASE]') });
		const imported = await h.run(['key', 'import', 'request.key', '--passphrase-stdin'], { stdin: 'move it safely\n', env: laptop });
		expect(imported.code, imported.stderr).toBe(0);
		expect(imported.stderr).toContain(`sealdrop request get ${id}`);
		const elsewhere = await h.run(['request', 'get', id, '-o', 'laptop'], { env: laptop });
		expect(elsewhere.code, elsewhere.stderr).toBe(0);
		expect(await fileSha(h.path('laptop', a!.id, 'big.bin'))).toBe(sha(big));
		expect(await readFile(h.path('laptop', b!.id, 'b.txt'), 'utf8')).toBe('from bob');
		const listed = await h.run(['request', 'list', '--json'], { env: laptop });
		expect(JSON.parse(listed.stdout)).toMatchObject([{ id, state: 'open', submissions: 2, maxSubmissions: 5 }]);
	}, 120_000);

	it('a key file exported by the web app (random owner token, the request in its `request` field) opens its request in the CLI', async () => {
		const api = new ApiClient(h.server.url);
		const made = await createFileRequest(api, {
			title: 'Made in a browser',
			expiresIn: 86400,
			maxSubmissions: 3,
			maxSubmissionBytes: 1 << 20
		});
		const link = requestLink(h.server.url, made.id, made.secret);
		// The web app's payload (FORMAT.md §11.5).
		const payload = {
			v: 1,
			id: made.id,
			ownerToken: made.ownerToken,
			secret: made.secret,
			title: 'Made in a browser',
			createdAt: Date.now()
		};
		const file = await exportRequestKey(made.keys, 'from the browser', {
			kdf: { memoryKiB: 8192, passes: 1, parallelism: 1 },
			request: new TextEncoder().encode(JSON.stringify(payload))
		});
		await h.write('web.key', JSON.stringify(file));
		await h.write('web/w.txt', 'sent to a web request');
		expect((await h.run(['submit', link, 'web/w.txt'])).code).toBe(0);
		const cli = { XDG_CONFIG_HOME: h.path('cli-for-web') };
		const imported = await h.run(['key', 'import', 'web.key', '--passphrase-stdin'], { stdin: 'from the browser\n', env: cli });
		expect(imported.code, imported.stderr).toBe(0);
		const got = await h.run(['request', 'get', made.id, '-o', 'web-inbox', '--json'], { env: cli });
		expect(got.code, got.stderr).toBe(0);
		const [sub] = (JSON.parse(got.stdout) as { submissions: { id: string }[] }).submissions;
		expect(await readFile(h.path('web-inbox', sub!.id, 'w.txt'), 'utf8')).toBe('sent to a web request');
		expect((await h.run(['request', 'close', made.id], { env: cli })).code).toBe(0);
	}, 60_000);

	it('a public key swapped on the server is refused by submit (exit 5) before anything is uploaded', async () => {
		const { link, id } = await create();
		const other = await generateRequestKeyPair();
		const db = new SQLite(h.path('data', 'sealdrop.sqlite'));
		try {
			expect(db.prepare('UPDATE requests SET public_key = ? WHERE id = ?').run(Buffer.from(other.publicKey), id).changes).toBe(1);
		} finally {
			db.close();
		}
		await h.write('swap/x.txt', 'for the real requester only');
		const before = h.requests.length;
		const sent = await h.run(['submit', link, 'swap/x.txt']);
		expect(sent.code).toBe(5);
		expect(sent.stderr).toContain('[REQUEST_KEY_MISMATCH]');
		expect(h.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
	});

	it('limits: full (8), too large (8), closed (4), expired (4), each refused before any part is sent', async () => {
		await h.write('lim/small.txt', 'small');
		await h.write('lim/big.bin', randomBytes(20_000));

		const one = await create('--max-submissions', '1');
		expect((await h.run(['submit', one.link, 'lim/small.txt'])).code).toBe(0);
		let before = puts();
		expect(await h.run(['submit', one.link, 'lim/small.txt'])).toMatchObject({
			code: 8,
			stderr: expect.stringContaining('[REQUEST_FULL]')
		});
		expect(puts()).toBe(before);

		const tiny = await create('--max-size', '10k');
		before = puts();
		expect(await h.run(['submit', tiny.link, 'lim/big.bin'])).toMatchObject({ code: 8, stderr: expect.stringContaining('[TOO_LARGE]') });
		expect(puts()).toBe(before);

		const closing = await create();
		expect((await h.run(['request', 'close', closing.id])).code).toBe(0);
		expect(await h.run(['submit', closing.link, 'lim/small.txt'])).toMatchObject({
			code: 4,
			stderr: expect.stringContaining('[REQUEST_CLOSED]')
		});

		const ending = await create('--expires', '1d');
		clock.advance(2 * DAY);
		expect(await h.run(['submit', ending.link, 'lim/small.txt'])).toMatchObject({ code: 4, stderr: expect.stringContaining('[EXPIRED]') });
		expect(puts()).toBe(before);
	}, 60_000);
});
