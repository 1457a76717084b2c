import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { z } from 'zod';

/**
 * A value that must never reach a log line or an error message: it prints as `[redacted]`
 * through JSON.stringify (pino), util.inspect and string conversion. Only `reveal()` gives it.
 */
export class Secret {
	readonly #value: string;
	constructor(value: string) {
		this.#value = value;
	}
	reveal(): string {
		return this.#value;
	}
	toJSON(): string {
		return '[redacted]';
	}
	toString(): string {
		return '[redacted]';
	}
	[inspect.custom](): string {
		return '[redacted]';
	}
}

export type DatabaseConfig = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: Secret };

export interface S3Config {
	/** Undefined: AWS S3 itself, found from the region. */
	endpoint: string | undefined;
	region: string;
	bucket: string;
	/** Undefined: the AWS SDK's default chain (AWS_* variables, instance or pod role, …). */
	credentials: { accessKeyId: string; secretAccessKey: Secret } | undefined;
	/** `http://host/bucket/key` instead of `http://bucket.host/key` (MinIO, s3rver, most self-hosted stores). */
	forcePathStyle: boolean;
}

export type BlobStoreConfig = { kind: 'fs'; dir: string } | ({ kind: 's3' } & S3Config);

export const BOOLEAN_WORDS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };

/** An on/off option: true/false, 1/0 or yes/no in any case; off when unset. */
export const booleanOption = () =>
	z
		.string()
		.trim()
		.toLowerCase()
		.refine((text) => text in BOOLEAN_WORDS, 'must be true or false')
		.transform((text) => BOOLEAN_WORDS[text] === true)
		.default(false);

/**
 * The storage variables, merged into the server's env schema (server/config/schema.ts). Secrets are
 * plain strings here, which cannot fail validation: a failing value is echoed in the error
 * message, and these must never be.
 */
export const storeEnvSchema = {
	SEALDROP_DATABASE_URL: z
		.string()
		.trim()
		.optional()
		.describe('`sqlite:PATH` (default: sqlite:<SEALDROP_DATA_DIR>/sealdrop.sqlite) or `postgres://USER:PASSWORD@HOST:PORT/DATABASE`.'),
	SEALDROP_BLOB_STORE: z
		.enum(['fs', 's3'])
		.default('fs')
		.describe('Where ciphertext is kept: `fs` (<SEALDROP_DATA_DIR>/blobs) or `s3` (an S3-compatible bucket).'),
	SEALDROP_S3_ENDPOINT: z
		.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
		.optional()
		.describe('S3 endpoint URL (MinIO, Ceph, R2, B2, Garage…); unset for AWS S3.'),
	SEALDROP_S3_REGION: z.string().trim().min(1).default('us-east-1').describe('S3 region (any value for most self-hosted stores).'),
	SEALDROP_S3_BUCKET: z
		.string()
		.trim()
		.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid bucket name (3-63 lowercase letters, digits, dots, hyphens)')
		.optional()
		.describe('S3 bucket (must exist); required when SEALDROP_BLOB_STORE=s3.'),
	SEALDROP_S3_ACCESS_KEY_ID: z.string().trim().optional().describe('S3 access key id; unset to use the AWS SDK default credential chain.'),
	SEALDROP_S3_SECRET_ACCESS_KEY: z.string().optional().describe('S3 secret access key (never logged).'),
	SEALDROP_S3_FORCE_PATH_STYLE: booleanOption().describe('Path-style bucket addressing (true for MinIO, Ceph and most self-hosted stores).')
};

type StoreEnv = z.output<z.ZodObject<typeof storeEnvSchema>>;

export interface StoreSelection {
	database: DatabaseConfig;
	blobStore: BlobStoreConfig;
}

/** Turns the parsed variables into the backends to open; problems name the variable, never a value. */
export function selectStores(e: StoreEnv, dataDir: string): { stores?: StoreSelection; problems: string[] } {
	const problems: string[] = [];
	const database = parseDatabaseUrl(e.SEALDROP_DATABASE_URL, dataDir, problems);

	let blobStore: BlobStoreConfig | undefined;
	const s3Vars = (
		['SEALDROP_S3_ENDPOINT', 'SEALDROP_S3_BUCKET', 'SEALDROP_S3_ACCESS_KEY_ID', 'SEALDROP_S3_SECRET_ACCESS_KEY'] as const
	).filter((name) => e[name] !== undefined);
	if (e.SEALDROP_BLOB_STORE === 'fs') {
		// A forgotten SEALDROP_BLOB_STORE=s3 would otherwise quietly fill the local disk.
		for (const name of s3Vars) problems.push(`${name}: is set, but SEALDROP_BLOB_STORE is not s3`);
		blobStore = { kind: 'fs', dir: join(dataDir, 'blobs') };
	} else {
		const id = e.SEALDROP_S3_ACCESS_KEY_ID;
		const secret = e.SEALDROP_S3_SECRET_ACCESS_KEY;
		if (e.SEALDROP_S3_BUCKET === undefined) problems.push('SEALDROP_S3_BUCKET: required when SEALDROP_BLOB_STORE=s3');
		if ((id === undefined) !== (secret === undefined)) {
			problems.push(
				'SEALDROP_S3_ACCESS_KEY_ID, SEALDROP_S3_SECRET_ACCESS_KEY: set both, or neither to use the AWS default credential chain'
			);
		}
		if (e.SEALDROP_S3_BUCKET !== undefined) {
			blobStore = {
				kind: 's3',
				endpoint: e.SEALDROP_S3_ENDPOINT,
				region: e.SEALDROP_S3_REGION,
				bucket: e.SEALDROP_S3_BUCKET,
				credentials: id !== undefined && secret !== undefined ? { accessKeyId: id, secretAccessKey: new Secret(secret) } : undefined,
				forcePathStyle: e.SEALDROP_S3_FORCE_PATH_STYLE
			};
		}
	}
	if (problems.length > 0 || !database || !blobStore) return { problems };
	return { stores: { database, blobStore }, problems };
}

function parseDatabaseUrl(value: string | undefined, dataDir: string, problems: string[]): DatabaseConfig | undefined {
	if (value === undefined) return { kind: 'sqlite', file: join(dataDir, 'sealdrop.sqlite') };
	if (value.startsWith('sqlite:')) {
		const path = value.slice('sqlite:'.length);
		if (path === '') {
			problems.push('SEALDROP_DATABASE_URL: sqlite: needs a file path, e.g. sqlite:/var/lib/sealdrop/sealdrop.sqlite');
			return undefined;
		}
		return { kind: 'sqlite', file: resolve(path) };
	}
	if (/^postgres(ql)?:\/\//i.test(value)) {
		if (!URL.canParse(value)) {
			problems.push('SEALDROP_DATABASE_URL: is not a valid postgres:// URL (percent-encode special characters in the password)');
			return undefined;
		}
		return { kind: 'postgres', url: new Secret(value) };
	}
	problems.push('SEALDROP_DATABASE_URL: must start with sqlite: or postgres://');
	return undefined;
}

/** Where a PostgreSQL URL points, for messages: host, port and database, never the user or password. */
export function describePostgresUrl(url: Secret): string {
	try {
		const parsed = new URL(url.reveal());
		const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
		return `${host}:${parsed.port || '5432'}${parsed.pathname || '/'}`;
	} catch {
		return 'the configured server';
	}
}
