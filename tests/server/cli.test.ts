import { spawn } from 'node:child_process';
import { access, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../server/accounts/passwords';
import { Secret } from '../../server/config/stores';
import { openPostgresMetaStore } from '../../server/stores/meta/postgres';
import { openSqliteMetaStore } from '../../server/stores/meta/sqlite';
import { freshSchema, type TestSchema } from '../support/postgres';
import { systemClock } from '../../server/clock';
import { userCommand } from '../../server/cli/user';
import { captureLogs, tempDir } from './helpers';

interface Run {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** `npm run user -- …` as the operator runs it: a real process, the real database file. */
function user(env: Record<string, string>, args: string[], stdin = ''): Promise<Run> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'user', ...args], {
			env: { PATH: process.env.PATH ?? '', ...env },
			stdio: ['pipe', 'pipe', 'pipe']
		});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		child.on('error', reject);
		child.on('close', (code) => resolve({ code, stdout, stderr }));
		child.stdin.end(stdin);
	});
}

const PASSWORD = 'violet harbour tram 1987';
/** Each run starts Node with tsx: about a second on a quiet machine, several on a busy one. */
const SLOW = 120_000;
const NEW_PASSWORD = 'granite whistle cobalt 77';

describe('the user command on a real SQLite file', () => {
	let dir: string;
	let env: Record<string, string>;
	beforeAll(async () => {
		dir = await tempDir();
		env = { SEALDROP_DATA_DIR: join(dir, 'data') };
	});
	afterAll(() => rm(dir, { recursive: true, force: true }));
	const file = () => join(dir, 'data', 'sealdrop.sqlite');

	it(
		'adds a user with limits, password from stdin, and never prints the password',
		async () => {
			const run = await user(
				env,
				['add', 'Alice', '--quota-bytes', '10GiB', '--quota-shares', '20', '--max-expiry', '86400', '--password-stdin'],
				`${PASSWORD}\n`
			);
			expect(run, run.stderr).toMatchObject({ code: 0, stdout: 'Added user "alice".\n' });
			expect(JSON.parse(run.stderr.trim())).toMatchObject({ audit: 'user.add', name: 'alice' });
			expect(run.stdout + run.stderr).not.toContain(PASSWORD);

			const meta = await openSqliteMetaStore({ file: file() });
			try {
				const alice = await meta.accounts.findUserByName('alice');
				expect(alice).toMatchObject({ quotaBytes: 10 * 1024 ** 3, quotaShares: 20, maxExpiry: 86400, disabled: false });
				// Exactly the piped password, without its line break.
				expect(await verifyPassword(alice?.passwordHash, PASSWORD)).toBe(true);
			} finally {
				await meta.close();
			}
		},
		SLOW
	);

	it(
		'lists accounts and refuses to ask for a password without a terminal',
		async () => {
			expect((await user(env, ['list'])).stdout).toMatch(
				/^NAME\s+STATUS\s+SHARES\s+BYTES\s+MAX EXPIRY\s+CREATED\nalice\s+enabled\s+0\/20\s+0\/10737418240\s+86400s\s+\d{4}-/
			);
			expect(await user(env, ['add', 'bob'])).toMatchObject({ code: 1, stderr: expect.stringContaining('--password-stdin') });
		},
		SLOW
	);

	// The rest in-process (a process start costs seconds here), on the same database file.
	async function inProcess(args: string[], password = PASSWORD) {
		const meta = await openSqliteMetaStore({ file: file() });
		const out: string[] = [];
		const err: string[] = [];
		const logs = captureLogs();
		try {
			const code = await userCommand(args, {
				accounts: meta.accounts,
				clock: systemClock,
				logger: logs.logger,
				out: (line) => out.push(line),
				err: (line) => err.push(line),
				readPassword: async () => password
			});
			return { code, out: out.join('\n'), err: err.join('\n'), log: logs.text(), meta };
		} finally {
			await meta.close();
		}
	}

	it('refuses a weak password, a taken name, a bad name, and a password on the command line', async () => {
		expect(await inProcess(['add', 'bob'], 'password2024')).toMatchObject({ code: 1, err: expect.stringContaining('weak') });
		expect(await inProcess(['add', 'bob'], 'bob-is-my-name-ok')).toMatchObject({ code: 1, err: expect.stringContaining('user name') });
		expect(await inProcess(['add', 'alice'])).toMatchObject({ code: 1, err: expect.stringContaining('exists') });
		expect(await inProcess(['add', 'no spaces'])).toMatchObject({ code: 2 });
		expect(await inProcess(['add', 'bob', '--password', PASSWORD])).toMatchObject({
			code: 2,
			err: expect.stringContaining('unknown option')
		});
		expect(await inProcess(['add', 'bob', '--quota-shares', '2GiB'])).toMatchObject({ code: 2 });
		expect(await inProcess(['frobnicate'])).toMatchObject({ code: 2, err: expect.stringContaining('Usage') });
	});

	it('disables, enables, resets passwords and changes limits', async () => {
		const disabled = await inProcess(['disable', 'alice']);
		expect(disabled).toMatchObject({ code: 0 });
		expect(disabled.log).toContain('"audit":"user.disable"');
		expect((await inProcess(['list'])).out).toMatch(/alice\s+disabled/);
		expect(await inProcess(['enable', 'alice'])).toMatchObject({ code: 0 });
		expect(await inProcess(['disable', 'nobody'])).toMatchObject({ code: 1, err: 'No user "nobody".' });
		expect(await inProcess(['limits', 'alice', '--quota-bytes', 'none', '--max-expiry', '3600'])).toMatchObject({ code: 0 });
		const reset = await inProcess(['reset-password', 'alice'], NEW_PASSWORD);
		expect(reset).toMatchObject({ code: 0 });
		expect(reset.log + reset.out).not.toContain(NEW_PASSWORD);

		const meta = await openSqliteMetaStore({ file: file() });
		try {
			const alice = await meta.accounts.findUserByName('alice');
			expect(alice).toMatchObject({ disabled: false, quotaBytes: null, quotaShares: 20, maxExpiry: 3600 });
			expect(await verifyPassword(alice?.passwordHash, NEW_PASSWORD)).toBe(true);
			expect(await verifyPassword(alice?.passwordHash, PASSWORD)).toBe(false);
		} finally {
			await meta.close();
		}
	});
});

describe('the user command on PostgreSQL', () => {
	let schema: TestSchema;
	beforeAll(async () => {
		schema = await freshSchema('cli');
	});
	afterAll(() => schema.drop());

	it(
		'migrates a fresh database and adds a user to it',
		async () => {
			const env = { SEALDROP_DATABASE_URL: schema.url, SEALDROP_DATA_DIR: join(await tempDir(), 'unused') };
			expect(await user(env, ['add', 'carol', '--password-stdin'], PASSWORD)).toMatchObject({ code: 0 });
			const meta = await openPostgresMetaStore({ url: new Secret(schema.url) });
			try {
				expect(await verifyPassword((await meta.accounts.findUserByName('carol'))?.passwordHash, PASSWORD)).toBe(true);
			} finally {
				await meta.close();
			}
		},
		SLOW
	);

	it(
		'reads the database from SEALDROP_CONFIG_FILE, as the server does',
		async () => {
			const dir = await tempDir();
			const configFile = join(dir, 'sealdrop.env');
			await writeFile(configFile, `SEALDROP_DATABASE_URL=${schema.url}\n`);
			// No database in the environment: a CLI that ignored the file would write to SQLite here.
			const env = { SEALDROP_CONFIG_FILE: configFile, SEALDROP_DATA_DIR: join(dir, 'data') };
			expect(await user(env, ['add', 'dave', '--password-stdin'], PASSWORD)).toMatchObject({ code: 0 });
			const meta = await openPostgresMetaStore({ url: new Secret(schema.url) });
			try {
				expect(await meta.accounts.findUserByName('dave')).toMatchObject({ name: 'dave' });
			} finally {
				await meta.close();
			}
			await expect(access(join(dir, 'data', 'sealdrop.sqlite'))).rejects.toThrow();
			await rm(dir, { recursive: true, force: true });
		},
		SLOW
	);
});
