import type { Config } from '../config/schema';
import type { Logger } from '../logger';
import { FsBlobStore } from './blob/fs';
import type { BlobStore } from './blob/types';
import { openSqliteMetaStore } from './meta/sqlite';
import type { MetaStore } from './meta/types';

export interface OpenStores {
	meta: MetaStore;
	blobs: BlobStore;
	/** Which backends these are, for /readyz and the start-up log line. */
	backends: { meta: 'sqlite' | 'postgres'; blobs: 'fs' | 's3' };
	close(): Promise<void>;
}

/**
 * Opens the configured MetaStore (running migrations) and BlobStore; closes the first if the second
 * fails. PostgreSQL and S3 are imported only when configured: pg and the AWS SDK add about 18 MiB
 * to the resident memory of every server that does not use them.
 */
export async function openStores(
	config: Pick<Config, 'database' | 'blobStore'> & Partial<Pick<Config, 's3Direct'>>,
	logger: Logger
): Promise<OpenStores> {
	const meta = await openMetaStore(config.database, logger);
	let blobs: BlobStore;
	try {
		const store = config.blobStore;
		if (store.kind === 'fs') blobs = await FsBlobStore.open(store.dir);
		else {
			const { S3BlobStore } = await import('./blob/s3');
			// Direct transfers PUT parts of one multipart object: that layout, which cannot stream.
			blobs = await S3BlobStore.open({ ...store, logger, multipart: config.s3Direct !== undefined });
		}
	} catch (error) {
		await meta.close();
		throw error;
	}
	return {
		meta,
		blobs,
		backends: { meta: config.database.kind, blobs: config.blobStore.kind },
		async close() {
			await blobs.close?.();
			await meta.close();
		}
	};
}

/** The configured MetaStore, its migrations run (the server and the `user` CLI share it). */
export async function openMetaStore(db: Config['database'], logger?: Logger): Promise<MetaStore> {
	return db.kind === 'sqlite'
		? openSqliteMetaStore({ file: db.file, logger })
		: (await import('./meta/postgres')).openPostgresMetaStore({ url: db.url, logger });
}
