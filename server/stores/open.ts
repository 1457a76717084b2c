import type { Config } from '../config';
import type { Logger } from '../logger';
import { FsBlobStore } from './blob/fs';
import { S3BlobStore } from './blob/s3';
import type { BlobStore } from './blob/types';
import { openPostgresMetaStore } from './meta/postgres';
import { openSqliteMetaStore } from './meta/sqlite';
import type { MetaStore } from './meta/types';

export interface OpenStores {
	meta: MetaStore;
	blobs: BlobStore;
	/** Which backends these are, for /readyz and the start-up log line. */
	backends: { meta: 'sqlite' | 'postgres'; blobs: 'fs' | 's3' };
	close(): Promise<void>;
}

/** Opens the configured MetaStore (running migrations) and BlobStore; closes the first if the second fails. */
export async function openStores(config: Pick<Config, 'database' | 'blobStore'>, logger: Logger): Promise<OpenStores> {
	const db = config.database;
	const meta = db.kind === 'sqlite' ? await openSqliteMetaStore({ file: db.file }) : await openPostgresMetaStore({ url: db.url, logger });
	let blobs: BlobStore;
	try {
		const store = config.blobStore;
		blobs = store.kind === 'fs' ? await FsBlobStore.open(store.dir) : await S3BlobStore.open({ ...store, logger });
	} catch (error) {
		await meta.close();
		throw error;
	}
	return {
		meta,
		blobs,
		backends: { meta: db.kind, blobs: config.blobStore.kind },
		async close() {
			await blobs.close?.();
			await meta.close();
		}
	};
}
