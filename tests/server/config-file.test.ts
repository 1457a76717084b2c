import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../server/config/schema';
import { loadConfig } from '../../server/config/load';
import { loadConfigFromEnvironment } from '../../server/config/load';
import { runUntilExit } from '../support/instances';
import { configProblems, tempDir } from './helpers';

describe('SEALDROP_CONFIG_FILE', () => {
	let dir: string;
	beforeAll(async () => {
		dir = await tempDir();
	});
	afterAll(() => rm(dir, { recursive: true, force: true }));

	let n = 0;
	async function file(text: string): Promise<string> {
		const path = join(dir, `sealdrop-${n++}.env`);
		await writeFile(path, text);
		return path;
	}

	function problemsOf(env: Record<string, string>): string[] {
		try {
			loadConfigFromEnvironment(env);
		} catch (error) {
			expect(error).toBeInstanceOf(ConfigError);
			return (error as ConfigError).problems;
		}
		return expect.fail('expected a ConfigError');
	}

	it('reads KEY=value lines with comments, quotes and export; the environment overrides it', async () => {
		const path = await file(
			[
				'# Sealdrop settings',
				'',
				'SEALDROP_PORT=9090',
				'export SEALDROP_LOG_LEVEL=warn   # quieter',
				'SEALDROP_PUBLIC_URL="https://drop.example.org/#not-a-comment"',
				"SEALDROP_DOWNLOAD_OPTIONS='1, 3'",
				'SEALDROP_DOWNLOAD_DEFAULT=3',
				'SEALDROP_IDLE_TIMEOUT=20',
				'SEALDROP_HOST=10.0.0.5'
			].join('\r\n')
		);
		const config = loadConfigFromEnvironment({
			SEALDROP_CONFIG_FILE: path,
			SEALDROP_IDLE_TIMEOUT: '45',
			// Empty means unset, as everywhere: it does not blank the file's value.
			SEALDROP_HOST: ''
		});
		expect(config).toMatchObject({
			port: 9090,
			logLevel: 'warn',
			publicUrl: 'https://drop.example.org/#not-a-comment',
			downloadOptions: [1, 3],
			downloadDefault: 3,
			host: '10.0.0.5',
			timeouts: { idle: 45, headers: 10, keepAlive: 5 }
		});
	});

	it('refuses an unknown key, naming it with the file and line', async () => {
		const path = await file('SEALDROP_PORT=9090\nSEALDROP_IDLE_TIMOUT=20\nPATH=/bin\n');
		expect(problemsOf({ SEALDROP_CONFIG_FILE: path })).toEqual([
			`${path} line 2: unknown setting SEALDROP_IDLE_TIMOUT`,
			`${path} line 3: unknown setting PATH`
		]);
	});

	it('names the setting and where it was set when a value from the file is bad', async () => {
		const path = await file('SEALDROP_LOG_LEVEL=info\nSEALDROP_MAX_CONCURRENT_UPLOADS=lots\n');
		const problems = problemsOf({ SEALDROP_CONFIG_FILE: path, SEALDROP_PORT: 'x' });
		expect(problems).toContainEqual(`SEALDROP_MAX_CONCURRENT_UPLOADS: must be a whole number (got "lots") [set in ${path} line 2]`);
		// A bad environment variable is reported as before, without the file.
		expect(problems).toContainEqual('SEALDROP_PORT: must be a whole number (got "x")');
	});

	it('refuses malformed lines, repeated keys, unterminated quotes and a nested config file', async () => {
		const path = await file(
			'just words\nSEALDROP_PORT=1\nSEALDROP_PORT=2\nSEALDROP_LOG_LEVEL="warn\nSEALDROP_CONFIG_FILE=/etc/other.env\n'
		);
		expect(problemsOf({ SEALDROP_CONFIG_FILE: path })).toEqual([
			`${path} line 1: expected KEY=value`,
			`${path} line 3: SEALDROP_PORT is already set on line 2`,
			`${path} line 4: SEALDROP_LOG_LEVEL has an unterminated quote`,
			`${path} line 5: SEALDROP_CONFIG_FILE cannot be set inside the config file`
		]);
	});

	it('names the setting when the file cannot be read', () => {
		expect(problemsOf({ SEALDROP_CONFIG_FILE: join(dir, 'missing.env') })).toEqual([
			`SEALDROP_CONFIG_FILE: cannot read ${join(dir, 'missing.env')} (ENOENT)`
		]);
	});

	it('is read by the server process at start (a bad file stops it with the message)', async () => {
		const path = await file('SEALDROP_DATA_DIR=./data\nSEALDROP_MAX_UPLOADS=3\n');
		const { code, stderr } = await runUntilExit({ SEALDROP_CONFIG_FILE: path });
		expect(code).toBe(1);
		expect(stderr).toContain(`${path} line 2: unknown setting SEALDROP_MAX_UPLOADS`);
	}, 60_000);
});

describe('timeout and upload-cap settings', () => {
	it('have defaults that let slow uploads through', () => {
		expect(loadConfig({})).toMatchObject({ timeouts: { idle: 60, headers: 10, keepAlive: 5 }, maxConcurrentUploads: 64 });
	});

	it('refuse values out of range, naming the variable', () => {
		expect(configProblems({ SEALDROP_IDLE_TIMEOUT: '0', SEALDROP_MAX_CONCURRENT_UPLOADS: '0', SEALDROP_HEADERS_TIMEOUT: '1h' })).toEqual([
			'SEALDROP_IDLE_TIMEOUT: must be at least 1 (got "0")',
			'SEALDROP_HEADERS_TIMEOUT: must be a whole number (got "1h")',
			'SEALDROP_MAX_CONCURRENT_UPLOADS: must be at least 1 (got "0")'
		]);
	});

	it('share uploads and connections between clients by default, and read the per-client and rate settings', () => {
		expect(loadConfig({})).toMatchObject({
			maxUploadsPerClient: 8,
			// A 16 KiB/s phone sending 3 parts at once gives each about 5 KiB/s.
			minUploadRate: { bytesPerSecond: 1024, graceSeconds: 20 },
			maxConnections: 4096,
			maxConnectionsPerAddress: 64
		});
		// An eighth of the total, at least 4, never more than the total.
		expect(loadConfig({ SEALDROP_MAX_CONCURRENT_UPLOADS: '200' }).maxUploadsPerClient).toBe(25);
		expect(loadConfig({ SEALDROP_MAX_CONCURRENT_UPLOADS: '2' }).maxUploadsPerClient).toBe(2);
		expect(loadConfig({ SEALDROP_MAX_UPLOADS_PER_CLIENT: '3' }).maxUploadsPerClient).toBe(3);
		expect(loadConfig({ SEALDROP_MIN_UPLOAD_RATE: '4 KiB', SEALDROP_MIN_UPLOAD_RATE_GRACE: '5' }).minUploadRate).toEqual({
			bytesPerSecond: 4096,
			graceSeconds: 5
		});
		expect(loadConfig({ SEALDROP_MIN_UPLOAD_RATE: 'off' }).minUploadRate).toBeUndefined();
		expect(loadConfig({ SEALDROP_MAX_CONNECTIONS_PER_ADDRESS: '0' }).maxConnectionsPerAddress).toBe(0);
		expect(configProblems({ SEALDROP_MIN_UPLOAD_RATE: 'slow', SEALDROP_MAX_CONNECTIONS: '0' })).toEqual([
			'SEALDROP_MIN_UPLOAD_RATE: must be bytes per second, optionally with KiB or MiB (e.g. 1KiB), or off (got "slow")',
			'SEALDROP_MAX_CONNECTIONS: must be at least 1 (got "0")'
		]);
	});
});
