import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeConfig } from '../../server/config/schema';
import { loadConfig } from '../../server/config/load';
import { describePostgresUrl, Secret } from '../../server/config/stores';
import { configProblems as problems } from './helpers';

const PASSWORD = 'pa55-w0rd-that-must-not-leak';
const SECRET_KEY = 'sEcReT/aCcEsS+kEy-that-must-not-leak';

const S3 = {
	SEALDROP_BLOB_STORE: 's3',
	SEALDROP_S3_ENDPOINT: 'http://127.0.0.1:9000',
	SEALDROP_S3_BUCKET: 'sealdrop-blobs',
	SEALDROP_S3_ACCESS_KEY_ID: 'AKIDEXAMPLE',
	SEALDROP_S3_SECRET_ACCESS_KEY: SECRET_KEY,
	SEALDROP_S3_FORCE_PATH_STYLE: 'true'
};

describe('store selection from the environment', () => {
	it('defaults to SQLite in the data dir and blobs on disk', () => {
		const config = loadConfig({ SEALDROP_DATA_DIR: '/srv/sealdrop' });
		expect(config.database).toEqual({ kind: 'sqlite', file: '/srv/sealdrop/sealdrop.sqlite' });
		expect(config.blobStore).toEqual({ kind: 'fs', dir: '/srv/sealdrop/blobs' });
	});

	it('takes sqlite:PATH (resolved) and postgres:// URLs', () => {
		expect(loadConfig({ SEALDROP_DATABASE_URL: 'sqlite:/var/lib/x.sqlite' }).database).toEqual({
			kind: 'sqlite',
			file: '/var/lib/x.sqlite'
		});
		expect(loadConfig({ SEALDROP_DATABASE_URL: 'sqlite:rel/x.sqlite' }).database).toEqual({
			kind: 'sqlite',
			file: `${process.cwd()}/rel/x.sqlite`
		});
		for (const scheme of ['postgres', 'postgresql']) {
			const url = `${scheme}://sealdrop:${PASSWORD}@db.internal:5433/sealdrop`;
			const database = loadConfig({ SEALDROP_DATABASE_URL: url }).database;
			expect(database.kind).toBe('postgres');
			if (database.kind === 'postgres') {
				expect(database.url.reveal()).toBe(url);
				expect(describePostgresUrl(database.url)).toBe('db.internal:5433/sealdrop');
			}
		}
	});

	it('refuses other database URLs, naming the variable but never echoing the value', () => {
		for (const url of [`mysql://root:${PASSWORD}@db/x`, 'sqlite:', `postgres://u:${PASSWORD}@[bad/x`]) {
			const found = problems({ SEALDROP_DATABASE_URL: url });
			expect(found).toHaveLength(1);
			expect(found[0]).toMatch(/^SEALDROP_DATABASE_URL: /);
			expect(found.join()).not.toContain(PASSWORD);
		}
	});

	it('reads the S3 settings', () => {
		const config = loadConfig(S3);
		expect(config.blobStore).toMatchObject({
			kind: 's3',
			endpoint: 'http://127.0.0.1:9000',
			region: 'us-east-1',
			bucket: 'sealdrop-blobs',
			forcePathStyle: true,
			credentials: { accessKeyId: 'AKIDEXAMPLE' }
		});
		expect(loadConfig({ ...S3, SEALDROP_S3_FORCE_PATH_STYLE: 'no', SEALDROP_S3_REGION: 'eu-central-1' }).blobStore).toMatchObject({
			forcePathStyle: false,
			region: 'eu-central-1'
		});
		// Without keys: the AWS SDK's default credential chain (environment, instance role).
		const { SEALDROP_S3_ACCESS_KEY_ID: _id, SEALDROP_S3_SECRET_ACCESS_KEY: _key, ...keyless } = S3;
		expect(loadConfig(keyless).blobStore).toMatchObject({ kind: 's3', credentials: undefined });
	});

	it('names every S3 mistake', () => {
		const { SEALDROP_S3_BUCKET: _bucket, ...noBucket } = S3;
		expect(problems(noBucket)).toEqual(['SEALDROP_S3_BUCKET: required when SEALDROP_BLOB_STORE=s3']);
		const { SEALDROP_S3_SECRET_ACCESS_KEY: _key, ...halfKeys } = S3;
		expect(problems(halfKeys)).toEqual([expect.stringMatching(/^SEALDROP_S3_ACCESS_KEY_ID, SEALDROP_S3_SECRET_ACCESS_KEY: set both/)]);
		expect(problems({ ...S3, SEALDROP_S3_FORCE_PATH_STYLE: 'maybe' })).toEqual([
			expect.stringMatching(/^SEALDROP_S3_FORCE_PATH_STYLE: must be true or false/)
		]);
		expect(problems({ ...S3, SEALDROP_S3_BUCKET: 'No_Such/Bucket' })).toEqual([
			expect.stringMatching(/^SEALDROP_S3_BUCKET: must be a valid bucket name/)
		]);
		expect(problems({ ...S3, SEALDROP_S3_ENDPOINT: 'ftp://x' })).toEqual([
			expect.stringMatching(/^SEALDROP_S3_ENDPOINT: must be an http\(s\) URL/)
		]);
		expect(problems({ ...S3, SEALDROP_BLOB_STORE: 'gcs' })).toEqual([expect.stringMatching(/^SEALDROP_BLOB_STORE: /)]);
		// S3 settings while the blob store is fs: a forgotten SEALDROP_BLOB_STORE=s3.
		const { SEALDROP_BLOB_STORE: _store, SEALDROP_S3_FORCE_PATH_STYLE: _style, ...forgotten } = S3;
		const found = problems(forgotten);
		expect(found).toContain('SEALDROP_S3_BUCKET: is set, but SEALDROP_BLOB_STORE is not s3');
		expect(found.join('\n')).not.toContain(SECRET_KEY);
	});

	it('never shows a secret when the config is logged or printed', () => {
		const config = loadConfig({ ...S3, SEALDROP_DATABASE_URL: `postgres://sealdrop:${PASSWORD}@db/sealdrop` });
		for (const text of [JSON.stringify(config), inspect(config, { depth: 10 }), String(new Secret(SECRET_KEY))]) {
			expect(text).not.toContain(PASSWORD);
			expect(text).not.toContain(SECRET_KEY);
			expect(text).toContain('[redacted]');
		}
	});

	it('documents every storage variable', () => {
		const rows = new Map(describeConfig().map((row) => [row.name, row]));
		for (const name of [
			'SEALDROP_DATABASE_URL',
			'SEALDROP_BLOB_STORE',
			'SEALDROP_S3_ENDPOINT',
			'SEALDROP_S3_REGION',
			'SEALDROP_S3_BUCKET',
			'SEALDROP_S3_ACCESS_KEY_ID',
			'SEALDROP_S3_SECRET_ACCESS_KEY',
			'SEALDROP_S3_FORCE_PATH_STYLE'
		] as const) {
			expect(rows.get(name)?.description, name).toBeTruthy();
		}
		expect(rows.get('SEALDROP_BLOB_STORE')?.default).toBe('fs');
		expect(rows.get('SEALDROP_S3_FORCE_PATH_STYLE')?.default).toBe('false');
	});
});
