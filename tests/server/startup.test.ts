import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/load';
import { createLogger } from '../../server/logger';
import { startSealdrop } from '../../server/start';
import { StoreStartError } from '../../server/stores/errors';
import { openStores } from '../../server/stores/open';
import { runUntilExit } from '../support/instances';
import { freshSchema, TEST_DATABASE_URL, type TestSchema } from '../support/postgres';
import { startS3rver, type TestS3 } from '../support/s3rver';
import { tempDir } from './helpers';
import { describeWithServices } from '../support/tier';

const WRONG_PASSWORD = 'wrong-pa55word-must-not-leak';
const silent = createLogger('silent');

/** TEST_DATABASE_URL with something changed. */
function databaseUrl(change: (url: URL) => void): string {
	const url = new URL(TEST_DATABASE_URL);
	change(url);
	return url.toString();
}

describeWithServices('start-up with unusable backends', () => {
	let s3: TestS3;
	let dir: string;
	beforeAll(async () => {
		[s3, dir] = await Promise.all([startS3rver(), tempDir()]);
	});
	afterAll(async () => {
		await s3?.close();
		await rm(dir, { recursive: true, force: true });
	});

	async function startError(env: Record<string, string>): Promise<StoreStartError> {
		const config = loadConfig({ SEALDROP_DATA_DIR: join(dir, 'data'), ...env });
		const error: unknown = await openStores(config, silent).then(
			async (stores) => {
				await stores.close();
				return expect.fail('the stores opened');
			},
			(e: unknown) => e
		);
		expect(error).toBeInstanceOf(StoreStartError);
		return error as StoreStartError;
	}

	it.each([
		['a missing bucket', 'S3_BUCKET_NOT_FOUND', { SEALDROP_S3_BUCKET: 'no-such-bucket' }, /"no-such-bucket".*SEALDROP_S3_BUCKET/],
		[
			'an unknown access key',
			'S3_AUTH_FAILED',
			{ SEALDROP_S3_ACCESS_KEY_ID: 'NOT-A-KEY' },
			/refused access \(403\).*SEALDROP_S3_ACCESS_KEY_ID/
		],
		[
			'an endpoint nobody listens on',
			'S3_UNREACHABLE',
			{ SEALDROP_S3_ENDPOINT: 'http://127.0.0.1:1' },
			/unreachable \(ECONNREFUSED\).*SEALDROP_S3_ENDPOINT/
		]
	])('S3: %s fails with %s', async (_, code, change, message) => {
		const error = await startError({ ...s3.env, ...change });
		expect(error.code).toBe(code);
		expect(error.message).toMatch(message);
		expect(error.message).not.toContain(s3.secretAccessKey + '@');
	});

	it.each([
		[
			'a server nobody listens on',
			'DB_UNREACHABLE',
			databaseUrl((u) => (u.port = '1')),
			/:1\/sealdrop_test is unreachable \(ECONNREFUSED\)/
		],
		['a wrong password', 'DB_AUTH_FAILED', databaseUrl((u) => (u.password = WRONG_PASSWORD)), /refused the login \(28P01\)/],
		[
			'a missing database',
			'DB_NOT_FOUND',
			databaseUrl((u) => (u.pathname = '/no_such_database')),
			/no_such_database: the database does not exist/
		]
	])('PostgreSQL: %s fails with %s', async (_, code, url, message) => {
		const error = await startError({ SEALDROP_DATABASE_URL: url });
		expect(error.code).toBe(code);
		expect(error.message).toMatch(message);
		expect(error.message).toContain('SEALDROP_DATABASE_URL');
		expect(error.message).not.toContain(WRONG_PASSWORD);
	});

	it('the server process says so in one line on stderr, without the secret, and exits 1', async () => {
		const env = { SEALDROP_DATA_DIR: join(dir, 'proc'), SEALDROP_DATABASE_URL: databaseUrl((u) => (u.password = WRONG_PASSWORD)) };
		const { code, stdout, stderr } = await runUntilExit(env);
		expect(code).toBe(1);
		const lines = stderr.split('\n').filter((line) => line.startsWith('Sealdrop'));
		expect(lines).toEqual([
			expect.stringMatching(/^Sealdrop cannot start: PostgreSQL at .* refused the login .*SEALDROP_DATABASE_URL.*\[DB_AUTH_FAILED\]$/)
		]);
		expect(stdout + stderr).not.toContain(WRONG_PASSWORD);

		const bad = await runUntilExit({
			SEALDROP_DATA_DIR: join(dir, 'proc'),
			SEALDROP_BLOB_STORE: 's3',
			SEALDROP_S3_SECRET_ACCESS_KEY: WRONG_PASSWORD
		});
		expect(bad.code).toBe(1);
		expect(bad.stderr).toContain('SEALDROP_S3_BUCKET: required when SEALDROP_BLOB_STORE=s3');
		expect(bad.stdout + bad.stderr).not.toContain(WRONG_PASSWORD);
	}, 60_000);
});

describeWithServices('/healthz and /readyz', () => {
	let s3: TestS3;
	let db: TestSchema;
	let dir: string;
	beforeAll(async () => {
		[s3, db, dir] = await Promise.all([startS3rver(), freshSchema('readyz'), tempDir()]);
	});
	afterAll(async () => {
		await s3?.close();
		await db?.drop();
		await rm(dir, { recursive: true, force: true });
	});

	it('report each store, and readiness follows the stores while liveness does not', async () => {
		const config = loadConfig({
			...s3.env,
			SEALDROP_DATABASE_URL: db.url,
			SEALDROP_DATA_DIR: join(dir, 'data'),
			SEALDROP_STATIC_DIR: join(dir, 'no-build'),
			SEALDROP_HOST: '127.0.0.1',
			SEALDROP_PORT: '0',
			SEALDROP_LOG_LEVEL: 'silent'
		});
		const server = await startSealdrop(config, { logger: silent });
		try {
			const live = await fetch(`${server.url}/healthz`);
			expect(live.status).toBe(200);
			expect(live.headers.get('cache-control')).toBe('no-store');
			expect(await live.json()).toEqual({ status: 'ok' });

			const ready = await fetch(`${server.url}/readyz`);
			expect(ready.status).toBe(200);
			expect(await ready.json()).toEqual({
				status: 'ready',
				stores: {
					meta: { backend: 'postgres', status: 'ok', ms: expect.any(Number) },
					blobs: { backend: 's3', status: 'ok', ms: expect.any(Number) }
				}
			});

			await s3.close(); // the object store goes away
			const notReady = await fetch(`${server.url}/readyz`);
			expect(notReady.status).toBe(503);
			const body = await notReady.text();
			expect(JSON.parse(body)).toEqual({
				status: 'unavailable',
				stores: {
					meta: { backend: 'postgres', status: 'ok', ms: expect.any(Number) },
					blobs: { backend: 's3', status: 'unavailable', ms: expect.any(Number), error: 'ECONNREFUSED' }
				}
			});
			expect(body).not.toContain(s3.secretAccessKey);
			expect(body).not.toContain('sealdrop:sealdrop');
			expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
		} finally {
			await server.close();
		}
	});
});
