import { execFile, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../server/accounts/passwords';
import { nextEvent, until } from '../../support/wait';
import { CliHarness } from './harness';

const root = join(import.meta.dirname, '../../..');

/**
 * The packaged CLI on a real terminal: util-linux `script` gives it a pseudo-terminal, whose
 * input the test types into once the prompt is shown.
 */
function onTerminal(h: CliHarness, args: string[]) {
	const command = [process.execPath, join(root, 'packages/cli/sealdrop.mjs'), ...args].map((a) => `'${a}'`).join(' ');
	const child = spawn('script', ['-qfec', command, '/dev/null'], {
		cwd: h.dir,
		env: { ...process.env, XDG_CONFIG_HOME: h.configHome, SEALDROP_SERVER: h.server.url, TERM: 'dumb' }
	});
	let output = '';
	const seen = new EventEmitter();
	child.stdout.on('data', (c: Buffer) => {
		output += c.toString();
		seen.emit('data');
	});
	return {
		child,
		output: () => output,
		/** Waits for `text` on the terminal, then types `line` and Enter. */
		async answer(text: string, line: string) {
			await until(() => output.includes(text), [seen], 'data', { what: `"${text}" on the terminal` });
			output = output.replace(text, '');
			child.stdin.write(`${line}\r`);
		},
		exit: nextEvent(child, 'exit', { what: 'the CLI to exit', timeoutMs: 30_000 })
	};
}

describe('sealdrop on a terminal', () => {
	const h = new CliHarness();
	beforeAll(async () => {
		await h.start();
		await promisify(execFile)('npm', ['run', 'build:cli'], { cwd: root });
	}, 60_000);
	afterAll(() => h.close());

	it('asks for the password without echo (twice when sending), and never prints it', async () => {
		await h.write('t/secret.txt', 'typed at a prompt');
		const send = onTerminal(h, ['send', 't/secret.txt', '--password']);
		await send.answer('Password for the share: ', 'terminal pässword');
		await send.answer('Repeat the password: ', 'terminal pässword');
		const [code] = await send.exit;
		expect(code).toBe(0);
		expect(send.output()).not.toContain('terminal');
		const link = /(http:\/\/\S+#[\w-]{43})/.exec(send.output())![1]!;

		const get = onTerminal(h, ['get', link, '-o', 't-out']);
		await get.answer('Password: ', 'terminal pässword');
		expect((await get.exit)[0]).toBe(0);
		expect(get.output()).not.toContain('terminal');
		expect(get.output()).toMatch(/Receiving \[#+\] 100%/); // the progress bar, on a terminal only
		expect(await readFile(h.path('t-out/secret.txt'), 'utf8')).toBe('typed at a prompt');
	});

	it('login asks for the account password on the terminal, without echo, and keeps only a token', async () => {
		const restricted = await new CliHarness().start({ SEALDROP_UPLOAD_ACCESS: 'restricted' });
		try {
			await restricted.server.meta.accounts.addUser({
				id: randomBytes(12).toString('base64url'),
				name: 'alice',
				passwordHash: await hashPassword('alice at a terminal'),
				createdAt: Date.now(),
				quotaBytes: null,
				quotaShares: null,
				maxExpiry: 3600
			});
			const login = onTerminal(restricted, ['login', 'alice']);
			await login.answer('Password for alice: ', 'alice at a terminal');
			const [code] = await login.exit;
			expect(code, login.output()).toBe(0);
			expect(login.output()).toContain('Logged in to');
			expect(login.output()).not.toContain('at a terminal');
			const saved = await readFile(join(restricted.configHome, 'sealdrop', 'config.json'), 'utf8');
			expect(saved).not.toContain('at a terminal');
			expect(JSON.parse(saved).tokens[restricted.server.url]).toMatch(/^[\w-]{20,}$/);
		} finally {
			await restricted.close();
		}
	});

	it('key export asks for the passphrase twice on the terminal, without echo', async () => {
		const made = await h.run(['request', 'create', '--title', 'On a terminal', '--json']);
		expect(made.code, made.stderr).toBe(0);
		const { id } = JSON.parse(made.stdout) as { id: string };
		const exported = onTerminal(h, ['key', 'export', id, '-o', 'tty.key']);
		await exported.answer('Passphrase for the key file: ', 'typed passphrase');
		await exported.answer('Repeat the password: ', 'typed passphrase');
		const [code] = await exported.exit;
		expect(code, exported.output()).toBe(0);
		expect(exported.output()).not.toContain('typed passphrase');
		expect(JSON.parse(await readFile(h.path('tty.key'), 'utf8'))).toMatchObject({ format: 'sealdrop-request-key' });
	});
});
