import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startInstance, type Entry, type Instance } from '../support/instances';
import { freshSchema } from '../support/postgres';
import { startS3rver } from '../support/s3rver';

/** Instances A and B serving the production build; they share a PostgreSQL schema and an s3rver bucket, nothing else. */
export interface InstancePair {
	a: Instance;
	b: Instance;
	/** Stops both instances, the bucket and the schema, and removes their data. */
	stop(): Promise<void>;
}

/** Starts a pair under `name` (the schema's and the data folder's); B runs from `bEntry`. */
export async function startInstancePair(name: string, { bEntry = 'source' }: { bEntry?: Entry } = {}): Promise<InstancePair> {
	const dir = await mkdtemp(join(tmpdir(), `sealdrop-e2e-${name}-`));
	const [s3, db] = await Promise.all([startS3rver(), freshSchema(`e2e_${name}`)]);
	const env = (instance: string) => ({
		...s3.env,
		SEALDROP_DATABASE_URL: db.url,
		SEALDROP_DATA_DIR: join(dir, instance),
		SEALDROP_STATIC_DIR: resolve('build'),
		// startInstance waits for the 'listening' line.
		SEALDROP_LOG_LEVEL: 'info'
	});
	const started = await Promise.allSettled([startInstance(env('a')), startInstance(env('b'), { entry: bEntry })]);
	const stop = async () => {
		await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
		await Promise.all([s3.close(), db.drop()]);
		await rm(dir, { recursive: true, force: true });
	};
	const [a, b] = started;
	if (a.status === 'rejected' || b.status === 'rejected') {
		await stop();
		throw a.status === 'rejected' ? a.reason : (b as PromiseRejectedResult).reason;
	}
	return { a: a.value, b: b.value, stop };
}
