import type { S3Config } from '../../config/stores';

/**
 * Where an object of the bucket is reached over HTTP, as S3 clients address it: path style when
 * asked (MinIO, s3rver…) or when a dotted bucket name would break the TLS name of a virtual host;
 * virtual-hosted style otherwise. Kept apart from s3.ts so that the CSP can name the bucket's
 * origin without loading the AWS SDK.
 */
export function objectAddress(
	options: Pick<S3Config, 'endpoint' | 'region' | 'bucket' | 'forcePathStyle'>,
	key: string
): { protocol: string; hostname: string; port: number | undefined; host: string; path: string } {
	const base = new URL(options.endpoint ?? `https://s3.${options.region}.amazonaws.com`);
	const pathStyle = options.forcePathStyle || options.bucket.includes('.');
	const hostname = pathStyle ? base.hostname : `${options.bucket}.${base.hostname}`;
	const prefix = base.pathname.replace(/\/+$/, '');
	return {
		protocol: base.protocol,
		hostname,
		port: base.port === '' ? undefined : Number(base.port),
		host: base.port === '' ? hostname : `${hostname}:${base.port}`,
		path: pathStyle ? `${prefix}/${options.bucket}/${key}` : `${prefix}/${key}`
	};
}

/** The origin browsers send parts to and read ranges from with direct transfers (for connect-src). */
export function bucketOrigin(options: Pick<S3Config, 'endpoint' | 'region' | 'bucket' | 'forcePathStyle'>): string {
	const { protocol, host } = objectAddress(options, '');
	return `${protocol}//${host}`;
}
