import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../../server/config/schema';
import { loadConfig } from '../../server/config/load';
import { createLogger } from '../../server/logger';
import { openStores, type OpenStores } from '../../server/stores/open';
import { freshSchema, type TestSchema } from './postgres';
import { startS3rver, type TestS3 } from './s3rver';

/**
 * The scale-out backends for a harness (`createHarness({ openStores })`): PostgreSQL in a fresh
 * schema per harness, so sweeps see only that test's shares, and one s3rver for the test file.
 * Call it at the top of a test file: it starts s3rver before the file's tests and, after them,
 * stops it and drops every schema it made. `label` names the schemas.
 */
export function postgresAndS3Stores(label: string): (config: Config) => Promise<OpenStores> {
	let s3: TestS3;
	const schemas: TestSchema[] = [];
	beforeAll(async () => {
		s3 = await startS3rver();
	});
	afterAll(async () => {
		await s3?.close();
		for (const schema of schemas) await schema.drop();
	});
	return async (config) => {
		const schema = await freshSchema(label);
		schemas.push(schema);
		const selected = loadConfig({ SEALDROP_DATA_DIR: config.dataDir, SEALDROP_DATABASE_URL: schema.url, ...s3.env });
		return openStores(selected, createLogger('silent'));
	};
}
