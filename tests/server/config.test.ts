import { describe, expect, it } from 'vitest';
import { describeConfig, envSchema } from '../../server/config/schema';
import { loadConfig } from '../../server/config/load';
import { configProblems as problems, createHarness } from './helpers';

describe('loadConfig', () => {
	it('has the documented defaults', () => {
		const config = loadConfig({});
		expect(config).toMatchObject({
			host: '127.0.0.1',
			port: 8080,
			publicUrl: undefined,
			maxShareBytes: 10 * 1024 ** 3,
			maxMetadataBytes: 1024 ** 2,
			partSize: { min: 5 * 1024 * 1024, max: 64 * 1024 * 1024, preferred: 8390656 },
			maxParts: 10000,
			expiryOptions: [300, 3600, 86400, 604800],
			expiryDefault: 86400,
			downloadOptions: [1, 2, 5, 10, 50, 100],
			downloadDefault: 1,
			ticketTtl: 21600,
			abandonAfter: 86400,
			sweepInterval: 60,
			tombstoneDays: 30,
			logLevel: 'info'
		});
		expect(config.dataDir).toBe(`${process.cwd()}/data`);
		expect(config.staticDir).toBe(`${process.cwd()}/build`);
	});

	it('reads every variable', () => {
		const config = loadConfig({
			SEALDROP_HOST: '0.0.0.0',
			SEALDROP_PORT: '0',
			SEALDROP_DATA_DIR: '/srv/sealdrop',
			SEALDROP_PUBLIC_URL: 'https://drop.example.org/',
			SEALDROP_MAX_SHARE_BYTES: '2GiB',
			SEALDROP_MAX_METADATA_BYTES: '65536',
			SEALDROP_EXPIRY_OPTIONS: '3600, 600',
			SEALDROP_EXPIRY_DEFAULT: '600',
			SEALDROP_DOWNLOAD_OPTIONS: '3,1',
			SEALDROP_DOWNLOAD_DEFAULT: '3',
			SEALDROP_TICKET_TTL: '120',
			SEALDROP_ABANDON_AFTER: '600',
			SEALDROP_SWEEP_INTERVAL: '5',
			SEALDROP_TOMBSTONE_DAYS: '0',
			SEALDROP_STATIC_DIR: '/srv/app',
			SEALDROP_LOG_LEVEL: 'warn'
		});
		expect(config).toMatchObject({
			host: '0.0.0.0',
			port: 0,
			dataDir: '/srv/sealdrop',
			publicUrl: 'https://drop.example.org',
			maxShareBytes: 2 * 1024 ** 3,
			maxMetadataBytes: 65536,
			expiryOptions: [600, 3600],
			expiryDefault: 600,
			downloadOptions: [1, 3],
			downloadDefault: 3,
			ticketTtl: 120,
			abandonAfter: 600,
			sweepInterval: 5,
			tombstoneDays: 0,
			staticDir: '/srv/app',
			logLevel: 'warn'
		});
	});

	it('treats an empty variable as unset', () => {
		expect(loadConfig({ SEALDROP_PUBLIC_URL: '', SEALDROP_PORT: ' ' }).port).toBe(8080);
	});

	it('names every bad variable', () => {
		const found = problems({
			SEALDROP_PORT: 'eighty',
			SEALDROP_PUBLIC_URL: 'ftp://x',
			SEALDROP_MAX_SHARE_BYTES: '10 GB',
			SEALDROP_EXPIRY_OPTIONS: '3600,10',
			SEALDROP_LOG_LEVEL: 'loud'
		});
		expect(found.map((line) => line.split(':')[0]).sort()).toEqual([
			'SEALDROP_EXPIRY_OPTIONS',
			'SEALDROP_LOG_LEVEL',
			'SEALDROP_MAX_SHARE_BYTES',
			'SEALDROP_PORT',
			'SEALDROP_PUBLIC_URL'
		]);
		expect(found.find((line) => line.startsWith('SEALDROP_PORT'))).toContain('"eighty"');
		expect(found.find((line) => line.startsWith('SEALDROP_EXPIRY_OPTIONS'))).toContain('item 2');
	});

	it('checks that defaults are among the options', () => {
		expect(problems({ SEALDROP_EXPIRY_DEFAULT: '7200' })[0]).toMatch(/^SEALDROP_EXPIRY_DEFAULT: must be one of/);
		expect(problems({ SEALDROP_DOWNLOAD_DEFAULT: '4' })[0]).toMatch(/^SEALDROP_DOWNLOAD_DEFAULT: must be one of/);
	});

	it('refuses repeated options and out-of-range numbers', () => {
		expect(problems({ SEALDROP_DOWNLOAD_OPTIONS: '1,1' })[0]).toMatch(/^SEALDROP_DOWNLOAD_OPTIONS: must not repeat/);
		expect(problems({ SEALDROP_PORT: '70000' })[0]).toMatch(/^SEALDROP_PORT: must be at most 65535/);
		expect(problems({ SEALDROP_SWEEP_INTERVAL: '0' })[0]).toMatch(/^SEALDROP_SWEEP_INTERVAL: must be at least 1/);
	});

	it('takes at least 60 s for expiry options, ticket lifetime and abandon time (SELF-HOSTING.md)', () => {
		expect(
			loadConfig({ SEALDROP_EXPIRY_OPTIONS: '60', SEALDROP_EXPIRY_DEFAULT: '60', SEALDROP_TICKET_TTL: '60', SEALDROP_ABANDON_AFTER: '60' })
		).toMatchObject({
			expiryOptions: [60],
			ticketTtl: 60,
			abandonAfter: 60
		});
		expect(problems({ SEALDROP_EXPIRY_OPTIONS: '59,3600', SEALDROP_EXPIRY_DEFAULT: '3600' })[0]).toMatch(/^SEALDROP_EXPIRY_OPTIONS: .*60/);
		expect(problems({ SEALDROP_TICKET_TTL: '59' })[0]).toMatch(/^SEALDROP_TICKET_TTL: must be at least 60/);
		expect(problems({ SEALDROP_ABANDON_AFTER: '59' })[0]).toMatch(/^SEALDROP_ABANDON_AFTER: must be at least 60/);
	});

	it('describes every variable for the docs', () => {
		const rows = describeConfig();
		expect(rows.map((row) => row.name)).toEqual(Object.keys(envSchema.shape));
		for (const row of rows) expect(row.description.length, row.name).toBeGreaterThan(10);
		expect(rows.find((row) => row.name === 'SEALDROP_EXPIRY_OPTIONS')?.default).toBe('300,3600,86400,604800');
		expect(rows.find((row) => row.name === 'SEALDROP_PUBLIC_URL')?.default).toBeUndefined();
	});
});

describe('GET /api/v1/config', () => {
	it('tells clients the limits and choices', async () => {
		const h = await createHarness({ smallParts: false, env: { SEALDROP_DOWNLOAD_OPTIONS: '1,5', SEALDROP_DOWNLOAD_DEFAULT: '5' } });
		try {
			const response = await h.api('/config');
			expect(response.status).toBe(200);
			expect(response.headers.get('cache-control')).toBe('no-store');
			expect(await response.json()).toEqual({
				version: 1,
				maxShareBytes: 10737418240,
				maxMetadataBytes: 1048576,
				partSize: { min: 5242880, max: 67108864, preferred: 8390656 },
				maxParts: 10000,
				expiry: { options: [300, 3600, 86400, 604800], default: 86400 },
				downloads: { options: [1, 5], default: 5 },
				uploadAccess: 'open',
				publicUrl: null,
				directTransfers: false,
				streaming: true
			});
		} finally {
			await h.close();
		}
	});

	it('names the public URL, so a client on an internal address makes public links', async () => {
		const h = await createHarness({ env: { SEALDROP_PUBLIC_URL: 'https://share.example.org' } });
		try {
			expect(await (await h.api('/config')).json()).toMatchObject({ publicUrl: 'https://share.example.org' });
		} finally {
			await h.close();
		}
	});
});
