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
		// Both stores read stored parts of an unfinished upload, except S3 in direct mode, whose
		// parts are in an unfinished multipart upload (shares/stream.ts, stores/blob/s3.ts).
		streaming: config.s3Direct === undefined
	};
	return new Hono().get('/config', (c) => c.json(body));
}
