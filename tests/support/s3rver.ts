import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** s3rver's built-in account. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface TestS3 {
	endpoint: string;
	bucket: string;
	accessKeyId: string;
	secretAccessKey: string;
	/** Where s3rver keeps buckets and unfinished uploads. */
	directory: string;
	/** The SEALDROP_* variables that point a server at this bucket. */
	env: Record<string, string>;
	close(): Promise<void>;
}

/**
 * A real S3-protocol server (s3rver) on 127.0.0.1, a random port and a temp directory, with one
 * empty bucket. It speaks enough S3 for Sealdrop (multipart, ranged GET, delete) but has no
 * AbortMultipartUpload (405) and no ListMultipartUploads (501).
 */
export async function startS3rver(bucket = 'sealdrop-test'): Promise<TestS3> {
	const directory = await mkdtemp(join(tmpdir(), 'sealdrop-s3rver-'));
	const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
	const { port } = await server.run();
	const endpoint = `http://127.0.0.1:${port}`;
	return {
		endpoint,
		bucket,
		...CREDENTIALS,
		directory,
		env: {
			SEALDROP_BLOB_STORE: 's3',
			SEALDROP_S3_ENDPOINT: endpoint,
			SEALDROP_S3_REGION: 'us-east-1',
			SEALDROP_S3_BUCKET: bucket,
			SEALDROP_S3_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
			SEALDROP_S3_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
			SEALDROP_S3_FORCE_PATH_STYLE: 'true'
		},
		async close() {
			await server.close().catch(() => {});
			await rm(directory, { recursive: true, force: true });
		}
	};
}
