import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A private PostgreSQL cluster for one test run, made from Debian's server binaries in a temp
 * directory: nothing to start by hand, nothing left behind, no clash with a system cluster.
 * Used by the test runners' global set-up when SEALDROP_TEST_DATABASE_URL is not set.
 */
export interface ThrowawayPostgres {
	/** What SEALDROP_TEST_DATABASE_URL gets: the role may create schemas in this database. */
	url: string;
	stop(): Promise<void>;
}

/** The test role's password: a throwaway cluster on loopback, holding only test data. */
const PASSWORD = 'sealdrop';

const INSTALL_HINT =
	'PostgreSQL server binaries not found: install them with `sudo apt-get install postgresql`, ' +
	'or set SEALDROP_TEST_DATABASE_URL to a database the tests may create schemas in.';

/** The bin directory of the newest Debian PostgreSQL whose server (initdb) is installed. */
export function findPostgresBinDir(): string | undefined {
	const root = '/usr/lib/postgresql';
	if (!existsSync(root)) return undefined;
	const versions = readdirSync(root)
		.filter((version) => existsSync(join(root, version, 'bin', 'initdb')))
		.sort((a, b) => Number(b) - Number(a));
	return versions[0] && join(root, versions[0], 'bin');
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` (or `nobody`) user. */
function serverUser(): { uid: number; gid: number } | undefined {
	if (process.getuid?.() !== 0) return undefined;
	for (const name of ['postgres', 'nobody']) {
		try {
			const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }));
			const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }));
			return { uid, gid };
		} catch {
			// Try the next one.
		}
	}
	throw new Error('Running as root with neither a `postgres` nor a `nobody` user to run PostgreSQL as.');
}

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

function run(file: string, args: string[], user: { uid: number; gid: number } | undefined): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...user, env: { ...process.env, LC_ALL: 'C' } });
		let output = '';
		child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
		child.once('error', reject);
		child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${file} ${args[0] ?? ''} failed (${code}):\n${output}`))));
	});
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
	const bin = findPostgresBinDir();
	if (!bin) throw new Error(INSTALL_HINT);
	const user = serverUser();
	const dir = await mkdtemp(join(tmpdir(), 'sealdrop-pg-'));
	if (user) chownSync(dir, user.uid, user.gid);
	const data = join(dir, 'data');
	const port = await freePort();
	const pgCtl = join(bin, 'pg_ctl');
	try {
		// Passwords are checked as on a real server: the tests of a wrong database password need it.
		const pwfile = join(dir, 'password');
		await writeFile(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
		if (user) chownSync(pwfile, user.uid, user.gid);
		const auth = ['-U', 'sealdrop', '--pwfile', pwfile, '--auth-host=scram-sha-256', '--auth-local=scram-sha-256'];
		await run(join(bin, 'initdb'), ['-D', data, ...auth, '-E', 'UTF8', '--locale=C', '--no-sync'], user);
		const options = `-p ${port} -h 127.0.0.1 -k ${dir} -c fsync=off -c full_page_writes=off -c max_connections=300`;
		await run(pgCtl, ['start', '-D', data, '-w', '-t', '60', '-l', join(dir, 'server.log'), '-o', options], user);
		const admin = new pg.Client({ host: '127.0.0.1', port, user: 'sealdrop', password: PASSWORD, database: 'postgres' });
		await admin.connect();
		try {
			await admin.query('create database sealdrop_test');
		} finally {
			await admin.end();
		}
	} catch (error) {
		await run(pgCtl, ['stop', '-D', data, '-m', 'immediate'], user).catch(() => {});
		await rm(dir, { recursive: true, force: true });
		throw error;
	}
	return {
		url: `postgres://sealdrop:${PASSWORD}@127.0.0.1:${port}/sealdrop_test`,
		async stop() {
			await run(pgCtl, ['stop', '-D', data, '-m', 'immediate'], user).catch(() => {});
			await rm(dir, { recursive: true, force: true });
		}
	};
}

/**
 * For a runner's global set-up: starts a cluster unless SEALDROP_TEST_DATABASE_URL names one,
 * and exports its URL to the test processes, which the runner starts afterwards. Returns the
 * teardown.
 */
export async function provideTestDatabase(): Promise<() => Promise<void>> {
	if (process.env.SEALDROP_TEST_DATABASE_URL) return async () => {};
	const cluster = await startThrowawayPostgres();
	process.env.SEALDROP_TEST_DATABASE_URL = cluster.url;
	return async () => {
		delete process.env.SEALDROP_TEST_DATABASE_URL;
		await cluster.stop();
	};
}
