import { Hono } from 'hono';
import type { ServerConfig } from '../../src/lib/api/types';
import type { Config } from '../config/schema';

export function configRoutes(config: Config): Hono {
	const body: ServerConfig = {
		version: 1,
		maxShareBytes: config.maxShareBytes,
		maxMetadataBytes: config.maxMetadataBytes,
		partSize: { ...config.partSize },
		maxParts: config.maxParts,
		expiry: { options: config.expiryOptions, default: config.expiryDefault },
		downloads: { options: config.downloadOptions, default: config.downloadDefault },
		uploadAccess: config.uploadAccess,
		publicUrl: config.publicUrl ?? null,
		directTransfers: config.s3Direct !== undefined,
		// The filesystem store reads unfinished parts; S3 cannot (shares/stream.ts).
		streaming: config.blobStore.kind === 'fs'
	};
	return new Hono().get('/config', (c) => c.json(body));
}
