import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../server/accounts/passwords';
import { ApiClient } from '../../../src/lib/api/client';
import {
	createShareKeys,
	DEFAULT_RECORD_SIZE,
	encodeSecret,
	encryptBlobRecords,
	fromBase64Url,
	generateSecret,
	layoutForPlainSize,
	sha256,
	toBase64Url
} from '../../../src/lib/crypto';
import { shareLink } from '../../../src/lib/link';
import { inlineBackend } from '../../../src/lib/transfer/crypto-backend';
import { partSizeFor, uploadShare } from '../../../src/lib/transfer/upload';
import { memoryPendingUploads } from '../../../src/lib/uploads/pending-uploads';
import { CliHarness } from './harness';

/** Each failure class has its exit code and a message naming its stable code (docs/CLI.md). */
describe('sealdrop exit codes and hostile shares', () => {
	const h = new CliHarness();
	beforeAll(() => h.start());
	afterAll(() => h.close());

	async function sendText(name: string, text: string, extra: string[] = []): Promise<string> {
		await h.write(`in/${name}`, text);
		const sent = await h.run(['send', `in/${name}`, ...extra]);
		expect(sent.code, sent.stderr).toBe(0);
		return sent.stdout.trim();
	}

	/** A share made by the browser's upload engine, with the given file names (as a browser could send). */
	async function engineShare(files: File[]): Promise<string> {
		const api = new ApiClient(h.server.url);
		const config = await api.config();
		const result = await uploadShare(
			{ files, expiresIn: config.expiry.default, maxDownloads: 5 },
			{ api, config, crypto: inlineBackend, pending: memoryPendingUploads() }
		);
		return shareLink(h.server.url, result.id, result.secret);
	}

	/** A share whose sealed metadata names files the format forbids ("..", absolute): only a hostile sender makes it. */
	async function hostileMetadataShare(names: string[]): Promise<string> {
		const api = new ApiClient(h.server.url);
		const config = await api.config();
		const secret = generateSecret();
		const { headerBytes, keys } = await createShareKeys({ secret });
		const content = new Blob(names.map(() => 'pwned'));
		const layout = layoutForPlainSize(content.size, DEFAULT_RECORD_SIZE);
		const json = JSON.stringify({ v: 1, created: 0, files: names.map((name, i) => ({ name, size: 5, type: '', offset: 5 * i })) });
		const padded = new Uint8Array(Math.ceil(json.length / 256) * 256).fill(0x20);
		padded.set(new TextEncoder().encode(json));
		const iv = crypto.getRandomValues(new Uint8Array(12));
		const sealed = new Uint8Array([
			...iv,
			...new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, keys.metadataKey, padded))
		]);
		const owner = crypto.getRandomValues(new Uint8Array(32));
		const partSize = partSizeFor(config, layout);
		const created = await api.createShare({
			size: layout.cipherSize,
			partSize,
			expiresIn: config.expiry.default,
			maxDownloads: 1,
			header: toBase64Url(headerBytes),
			metadata: toBase64Url(sealed),
			readTokenHash: toBase64Url(await sha256(keys.readToken)),
			ownerTokenHash: toBase64Url(await sha256(owner))
		});
		const records: Uint8Array<ArrayBuffer>[] = [];
		for await (const r of encryptBlobRecords(keys.contentKey, content, layout, 0, layout.records))
			records.push(r as Uint8Array<ArrayBuffer>);
		await api.putPart(created.id, 0, new Blob(records), toBase64Url(owner));
		await api.complete(created.id, toBase64Url(owner));
		return shareLink(h.server.url, created.id, encodeSecret(secret));
	}

	const downloadsLeft = async (link: string) => JSON.parse((await h.run(['info', link, '--json'])).stdout).downloadsLeft as number;

	it('2: usage errors, and a password on the command line is refused with the reason', async () => {
		expect((await h.run([])).code).toBe(2);
		expect(await h.run(['frobnicate'])).toMatchObject({ code: 2, stderr: expect.stringContaining('Unknown command') });
		expect(await h.run(['send', 'x', '--password=hunter2'])).toMatchObject({
			code: 2,
			stderr: expect.stringContaining('never taken from the command line')
		});
		expect(await h.run(['send', 'in/five.txt', '--password', 'hunter2'])).toMatchObject({
			code: 2,
			stderr: expect.stringContaining('never taken from the command line')
		});
		expect(await h.run(['get', 'https://x/s/abc#k', '--password', 'hunter2'])).toMatchObject({
			code: 2,
			stderr: expect.stringContaining('never taken from the command line')
		});
		expect(await h.run(['send', '--note', 'n', '--expires', '3y'])).toMatchObject({ code: 2, stderr: expect.stringContaining('[USAGE]') });
		expect(await h.run(['send', '--note', 'n', '--expires', '13d'])).toMatchObject({
			code: 2,
			stderr: expect.stringContaining('[INVALID_OPTION]')
		});
		expect(await h.run(['send', '--note', 'n'], { env: { SEALDROP_SERVER: '' } })).toMatchObject({
			code: 2,
			stderr: expect.stringContaining('No server')
		});
		expect(await h.run(['get', 'not a link'])).toMatchObject({ code: 2, stderr: expect.stringContaining('Not a share link') });
		for (const command of ['send', 'get', 'info', 'list', 'delete', 'extend', 'limit', 'login', 'logout', 'config']) {
			const help = await h.run([command, '--help']);
			expect(help.code).toBe(0);
			expect(help.stdout).toContain(`sealdrop ${command}`);
		}
		for (const command of ['request create', 'request get', 'key export', 'key import', 'submit']) {
			const help = await h.run([...command.split(' '), '--help']);
			expect([help.code, help.stdout]).toEqual([0, expect.stringContaining(command)]);
		}
		// An id may start with "-": it is not taken for an option.
		const dashed = await h.run(['delete', '-Habcdefghijklmnopqrst']);
		expect([dashed.code, dashed.stderr], dashed.stderr).toEqual([2, expect.stringContaining('[NOT_IN_HISTORY]')]);
		expect(await h.run(['request', 'open'])).toMatchObject({ code: 2, stderr: expect.stringContaining('Unknown command request open') });
		expect(await h.run(['request'])).toMatchObject({ code: 2, stderr: expect.stringContaining('sealdrop request COMMAND') });
		expect(await h.run(['submit', 'https://x/s/a#b', 'f'])).toMatchObject({
			code: 2,
			stderr: expect.stringContaining('Not a request link')
		});
	});

	it('3: the server cannot be reached', async () => {
		const res = await h.run(['send', '--note', 'n'], { env: { SEALDROP_SERVER: 'http://127.0.0.1:9' } });
		expect(res).toMatchObject({ code: 3, stderr: expect.stringContaining('[NETWORK]') });
	});

	it('4: no such share', async () => {
		const link = await sendText('four.txt', '4');
		const other = link.replace(/\/s\/[^#]+/, '/s/AAAAAAAAAAAAAAAAAAAAAA');
		expect(await h.run(['get', other])).toMatchObject({ code: 4, stderr: expect.stringMatching(/\[(NOT_FOUND|INVALID_ID)\]/) });
	});

	it('5: a wrong or damaged key, found before anything is spent', async () => {
		const link = await sendText('five.txt', '5');
		const key = link.split('#')[1]!;
		const wrongKey = link.replace(key, toBase64Url(fromBase64Url(key).map((b) => b ^ 1)));
		expect(await h.run(['get', wrongKey, '-o', 'five'])).toMatchObject({ code: 5, stderr: expect.stringContaining('[WRONG_KEY]') });
		expect(await h.run(['get', link.slice(0, -1), '-o', 'five'])).toMatchObject({
			code: 5,
			stderr: expect.stringContaining('[BAD_SECRET]')
		});
		expect(await downloadsLeft(link)).toBe(1);
	});

	it('6: a header with absurd Argon2 costs fails at once with KDF_TOO_COSTLY, writing nothing', async () => {
		const link = await sendText('six.txt', '6');
		// What a hostile server could answer: the header of a password share asking for 4 TiB.
		const hostile: typeof fetch = async (input, init) => {
			const res = await fetch(input, init);
			if (!/\/shares\/[^/]+$/.test(new URL(String(input)).pathname)) return res;
			const body = (await res.json()) as { header: string };
			const header = fromBase64Url(body.header);
			header[5] = 1;
			new DataView(header.buffer).setUint32(42, 0xffffffff);
			new DataView(header.buffer).setUint32(46, 8);
			header[50] = 1;
			return Response.json({ ...body, header: toBase64Url(header) });
		};
		const started = Date.now();
		const res = await h.run(['get', link, '-o', 'six', '--password-stdin'], { stdin: 'x', fetch: hostile });
		expect(Date.now() - started).toBeLessThan(1000);
		expect(res).toMatchObject({ code: 6, stderr: expect.stringContaining('[KDF_TOO_COSTLY]') });
		await expect(readdir(h.path('six'))).rejects.toThrow();
	});

	it('6: tampered ciphertext is never saved, not even partly', async () => {
		// Past the first MiB: earlier records were verified and written by the time it fails.
		const link = await sendText('tampered.bin', 'x'.repeat(3_000_000));
		const id = link.split('/s/')[1]!.split('#')[0]!;
		const part = join(h.server.config.dataDir, 'blobs', id, '0');
		const fh = await open(part, 'r+');
		const byte = Buffer.alloc(1);
		await fh.read(byte, 0, 1, 2_500_000);
		byte[0]! ^= 0xff;
		await fh.write(byte, 0, 1, 2_500_000);
		await fh.close();
		const res = await h.run(['get', link, '-o', 'tampered']);
		expect(res).toMatchObject({ code: 6, stderr: expect.stringContaining('[TAMPERED]') });
		expect(await readdir(h.path('tampered'))).toEqual([]);
	});

	it('6: metadata naming files outside the folder ("..", absolute) is refused before anything is written', async () => {
		for (const names of [['../evil.txt'], ['/tmp/evil.txt'], ['a/../../evil.txt']]) {
			const link = await hostileMetadataShare(names);
			const res = await h.run(['get', link, '-o', 'hostile/inside']);
			expect(res).toMatchObject({ code: 6, stderr: expect.stringContaining('[BAD_METADATA]') });
		}
		expect(await readdir(h.dir)).not.toContain('evil.txt');
		await expect(readdir(h.path('hostile'))).rejects.toThrow();
	});

	it('hostile but valid names are made safe inside -o: backslashes, duplicates, device names', async () => {
		const link = await engineShare([
			new File(['1'], 'a\\..\\..\\evil.txt'),
			new File(['2'], 'dup.txt'),
			new File(['3'], 'DUP.txt'),
			new File(['4'], 'con.txt'),
			new File(['5'], 'dir/..hidden')
		]);
		const res = await h.run(['get', link, '-o', 'safe', '--json']);
		expect(res.code, res.stderr).toBe(0);
		const saved = (JSON.parse(res.stdout) as { files: { path: string }[] }).files.map((f) => f.path.slice(h.path('safe').length + 1));
		expect(saved).toEqual(['a/evil.txt', 'dup.txt', 'DUP (2).txt', '_con.txt', 'dir/..hidden']);
		expect(await readFile(h.path('safe/DUP (2).txt'), 'utf8')).toBe('3');
		expect(await readdir(h.dir)).not.toContain('evil.txt');
	});

	it('7: a symbolic link already in the folder does not lead a file outside it', async () => {
		const link = await engineShare([new File(['x'], 'docs/x.txt')]);
		await mkdir(h.path('linked'));
		await mkdir(h.path('elsewhere'));
		await symlink(h.path('elsewhere'), h.path('linked/docs'));
		expect(await h.run(['get', link, '-o', 'linked'])).toMatchObject({ code: 7, stderr: expect.stringContaining('[UNSAFE_NAME]') });
		expect(await readdir(h.path('elsewhere'))).toEqual([]);
	});

	it('7: an existing file is not replaced (nothing spent) unless --force', async () => {
		const link = await sendText('seven.txt', 'new', ['--downloads', '5']);
		await h.write('seven/seven.txt', 'old');
		expect(await h.run(['get', link, '-o', 'seven'])).toMatchObject({ code: 7, stderr: expect.stringContaining('[FILE_EXISTS]') });
		expect(await downloadsLeft(link)).toBe(5);
		expect(await readFile(h.path('seven/seven.txt'), 'utf8')).toBe('old');
		expect((await h.run(['get', link, '-o', 'seven', '--force'])).code).toBe(0);
		expect(await readFile(h.path('seven/seven.txt'), 'utf8')).toBe('new');
		expect(await h.run(['send', 'no/such/file'])).toMatchObject({ code: 7, stderr: expect.stringContaining('Cannot read no/such/file') });
	});

	it('8: the server refuses (a restricted server without a token)', async () => {
		const restricted = await new CliHarness().start({ SEALDROP_UPLOAD_ACCESS: 'restricted' });
		try {
			const res = await restricted.run(['send', '--note', 'n']);
			expect(res).toMatchObject({ code: 8, stderr: expect.stringContaining('[LOGIN_REQUIRED]') });
			const bad = await restricted.run(['send', '--note', 'n'], { env: { SEALDROP_TOKEN: 'A'.repeat(43) } });
			expect(bad).toMatchObject({ code: 8, stderr: expect.stringContaining('[LOGIN_REQUIRED]') });

			// `login` keeps an API token (not the password) for this server; send then works.
			await restricted.server.meta.accounts.addUser({
				id: randomBytes(12).toString('base64url'),
				name: 'alice',
				passwordHash: await hashPassword('alice password'),
				createdAt: Date.now(),
				quotaBytes: null,
				quotaShares: null,
				maxExpiry: 3600
			});
			const wrong = await restricted.run(['login', 'alice', '--password-stdin'], { stdin: 'nope\n' });
			expect(wrong).toMatchObject({ code: 5, stderr: expect.stringContaining('[LOGIN_FAILED]') });
			const login = await restricted.run(['login', 'alice', '--password-stdin'], { stdin: 'alice password\n' });
			expect(login.code, login.stderr).toBe(0);
			expect(login.stdout).toBe('');
			const configFile = join(restricted.configHome, 'sealdrop', 'config.json');
			const saved = await readFile(configFile, 'utf8');
			expect(saved).not.toContain('alice password');
			expect(saved).toMatch(/"tokens"/);
			expect((await stat(configFile)).mode & 0o777).toBe(0o600);
			const sent = await restricted.run(['send', '--note', 'n', '--expires', '1h']);
			expect(sent.code, sent.stderr).toBe(0);
			expect((await restricted.run(['logout'])).code).toBe(0);
			expect(await restricted.run(['send', '--note', 'n', '--expires', '1h'])).toMatchObject({ code: 8 });
		} finally {
			await restricted.close();
		}
	});
});
