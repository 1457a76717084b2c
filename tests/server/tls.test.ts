import { X509Certificate } from 'node:crypto';
import { copyFile, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../server/config/schema';
import { loadConfig } from '../../server/config/load';
import { createLogger } from '../../server/logger';
import { startSealdrop, type RunningSealdrop } from '../../server/start';
import { makeCertificate } from '../support/certificates';
import { startInstance } from '../support/instances';
import { tempDir } from './helpers';

interface Answer {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	body: string;
	fingerprint: string;
}

/** GET over HTTPS trusting only `ca`, on a fresh connection (no agent: no reused session). */
function get(url: string, ca: Buffer): Promise<Answer> {
	return new Promise((resolve, reject) => {
		const req = request(url, { ca, agent: false }, (res) => {
			const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (chunk: string) => (body += chunk));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, fingerprint }));
		});
		req.on('error', reject);
		req.end();
	});
}

describe('built-in TLS', () => {
	let dir: string;
	let first: { cert: string; key: string };
	let second: { cert: string; key: string };
	let server: RunningSealdrop;
	let live: { cert: string; key: string };

	beforeAll(async () => {
		dir = await tempDir();
		[first, second] = await Promise.all([makeCertificate(dir, 'first'), makeCertificate(dir, 'second')]);
		live = { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') };
		await Promise.all([copyFile(first.cert, live.cert), copyFile(first.key, live.key)]);
		const config = loadConfig({
			SEALDROP_HOST: '127.0.0.1',
			SEALDROP_PORT: '0',
			SEALDROP_DATA_DIR: join(dir, 'data'),
			SEALDROP_STATIC_DIR: join(dir, 'no-build'),
			SEALDROP_TLS_CERT: live.cert,
			SEALDROP_TLS_KEY: live.key
		});
		server = await startSealdrop(config, { logger: createLogger('silent') });
	}, 30_000);
	afterAll(async () => {
		await server?.close();
		await rm(dir, { recursive: true, force: true });
	});

	const fingerprintOf = async (file: string) => new X509Certificate(await readFile(file)).fingerprint256;

	it('serves the app over HTTPS with HSTS', async () => {
		expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
		const ca = await readFile(first.cert);
		const health = await get(`${server.url}/healthz`, ca);
		expect(health.status).toBe(200);
		expect(health.headers['strict-transport-security']).toBe('max-age=31536000');
		expect(health.fingerprint).toBe(await fingerprintOf(first.cert));
		const config = await get(`${server.url}/api/v1/config`, ca);
		expect(config.status).toBe(200);
		expect(JSON.parse(config.body)).toMatchObject({ version: 1 });
	});

	it('refuses plain HTTP on the same port', async () => {
		const answer = await fetch(`http://127.0.0.1:${server.port}/healthz`).then(
			(response) => response.status,
			() => 'refused'
		);
		expect(answer).not.toBe(200);
	});

	it('picks up a renewed certificate on reload, for new connections', async () => {
		await Promise.all([copyFile(second.cert, live.cert), copyFile(second.key, live.key)]);
		await server.reloadTls();
		const answer = await get(`${server.url}/healthz`, await readFile(second.cert));
		expect(answer.status).toBe(200);
		expect(answer.fingerprint).toBe(await fingerprintOf(second.cert));
		// The old certificate is no longer presented.
		await expect(get(`${server.url}/healthz`, await readFile(first.cert))).rejects.toThrow();
	});

	it('the server process reloads the certificate on SIGHUP and keeps running', async () => {
		const files = { cert: join(dir, 'process.crt'), key: join(dir, 'process.key') };
		await Promise.all([copyFile(first.cert, files.cert), copyFile(first.key, files.key)]);
		const instance = await startInstance({
			SEALDROP_DATA_DIR: join(dir, 'process-data'),
			SEALDROP_STATIC_DIR: join(dir, 'no-build'),
			SEALDROP_TLS_CERT: files.cert,
			SEALDROP_TLS_KEY: files.key
		});
		// The line the process writes once it has handled the signal (only lines after `from`).
		const logged = (msg: string, from: number) => instance.waitForLine((line) => line.msg === msg, `'${msg}'`, { from });
		try {
			const url = `https://127.0.0.1:${instance.port}/healthz`;
			expect((await get(url, await readFile(first.cert))).fingerprint).toBe(await fingerprintOf(first.cert));

			await Promise.all([copyFile(second.cert, files.cert), copyFile(second.key, files.key)]);
			let from = instance.lines().length;
			process.kill(instance.pid, 'SIGHUP');
			await logged('TLS certificate reloaded', from);
			const answer = await get(url, await readFile(second.cert));
			expect(answer.status).toBe(200);
			expect(answer.fingerprint).toBe(await fingerprintOf(second.cert));
			await expect(get(url, await readFile(first.cert))).rejects.toThrow();

			// A renewal that cannot be read is logged; the process keeps serving the last good one.
			await rm(files.key);
			from = instance.lines().length;
			process.kill(instance.pid, 'SIGHUP');
			await logged('TLS reload failed', from);
			expect((await get(url, await readFile(second.cert))).fingerprint).toBe(await fingerprintOf(second.cert));
			expect(instance.stderr()).toBe('');
		} finally {
			await instance.stop();
		}
	}, 60_000);

	it('names the variable when a file cannot be read, and wants both or neither', async () => {
		const config = loadConfig({
			SEALDROP_DATA_DIR: join(dir, 'data2'),
			SEALDROP_TLS_CERT: join(dir, 'missing.crt'),
			SEALDROP_TLS_KEY: live.key
		});
		const error: unknown = await startSealdrop(config, { logger: createLogger('silent') }).then(
			async (running) => {
				await running.close();
				return undefined;
			},
			(e: unknown) => e
		);
		expect(error).toBeInstanceOf(ConfigError);
		expect((error as Error).message).toMatch(/SEALDROP_TLS_CERT: cannot read .*missing\.crt \(ENOENT\)/);
		expect(() => loadConfig({ SEALDROP_TLS_KEY: live.key })).toThrow(/SEALDROP_TLS_CERT: set both/);
	});
});
