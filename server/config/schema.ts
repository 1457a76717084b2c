import { z } from 'zod';
import { parseByteSize } from '../byte-size';
import type { RateRule } from '../http/rate-limit';
import { booleanOption, storeEnvSchema, type BlobStoreConfig, type DatabaseConfig } from './stores';

/** Fixed by the format and by S3 multipart rules, not configurable (see docs/API.md). */
export const PART_SIZE = {
	/** S3's smallest non-final multipart part. */
	min: 5 * 1024 * 1024,
	max: 64 * 1024 * 1024,
	/** 128 whole records of 64 KiB plaintext + 16-byte tag (FORMAT.md §4). */
	preferred: 128 * 65552
} as const;

/** S3 allows at most 10 000 parts per multipart upload. */
export const MAX_PARTS = 10_000;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
	host: string;
	port: number;
	/** Absolute path. */
	dataDir: string;
	/** Without a trailing slash. */
	publicUrl: string | undefined;
	maxShareBytes: number;
	maxMetadataBytes: number;
	partSize: { min: number; max: number; preferred: number };
	maxParts: number;
	/** Seconds, ascending. */
	expiryOptions: number[];
	expiryDefault: number;
	downloadOptions: number[];
	downloadDefault: number;
	/** Seconds. */
	ticketTtl: number;
	/** Seconds of upload inactivity after which an unfinished share is swept. */
	abandonAfter: number;
	/** Seconds between sweeper passes. */
	sweepInterval: number;
	tombstoneDays: number;
	/** Absolute path. */
	staticDir: string;
	logLevel: LogLevel;
	/** Per-client-address limits; undefined when switched off. */
	rateLimits: { create: RateRule | undefined; claim: RateRule | undefined };
	/** Reverse proxies in front of the server whose X-Forwarded-For is believed; 0: none. */
	trustProxy: number;
	/** Bearer token for GET /metrics; undefined: open. */
	metricsToken: string | undefined;
	/** Seconds: a request body silent this long, request headers this slow, an idle keep-alive. */
	timeouts: { idle: number; headers: number; keepAlive: number };
	/** Part uploads this process handles at once; more are refused with 503 SERVER_BUSY. */
	maxConcurrentUploads: number;
	/** Part uploads one client (as the rate limits see it) may have in flight at once. */
	maxUploadsPerClient: number;
	/** A request body slower than this on average after the grace period is cut; undefined: off. */
	minUploadRate: { bytesPerSecond: number; graceSeconds: number } | undefined;
	/** Open connections in all; more are closed as they arrive. */
	maxConnections: number;
	/** Open connections from one address (IPv6: /64) when SEALDROP_TRUST_PROXY is 0; 0: no cap. */
	maxConnectionsPerAddress: number;
	/** Built-in HTTPS: absolute paths of the PEM certificate chain and key; undefined: plain HTTP. */
	tls: { certFile: string; keyFile: string } | undefined;
	/** The MetaStore backend (SEALDROP_DATABASE_URL). */
	database: DatabaseConfig;
	/** The BlobStore backend (SEALDROP_BLOB_STORE, SEALDROP_S3_*). */
	blobStore: BlobStoreConfig;
	/**
	 * SEALDROP_S3_DIRECT: clients PUT parts and GET ranges straight from the bucket with presigned
	 * URLs living at most `ttl` seconds; undefined: every byte goes through this server.
	 */
	s3Direct: { ttl: number } | undefined;
	/** Who may create shares: anyone, or only user accounts (docs/SELF-HOSTING.md, "Restricted mode"). */
	uploadAccess: 'open' | 'restricted';
	/** Seconds a login session lasts (restricted mode). */
	sessionTtl: number;
	/** Login attempts one client address may make; undefined when switched off. */
	loginRateLimit: RateRule | undefined;
	/** Submissions to file requests one client address may make (no account needed); undefined when switched off. */
	submitRateLimit: RateRule | undefined;
}

/** A whole number in [min, max], written in decimal. */
function wholeNumber(min: number, max: number) {
	return z
		.string()
		.trim()
		.regex(/^\d+$/, 'must be a whole number')
		.transform(Number)
		.pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

/** Bytes, optionally with a binary unit: `1048576`, `512MiB`, `10GiB`. */
function byteSize(min: number, max: number) {
	return z
		.string()
		.trim()
		.regex(/^\d+\s*(kib|mib|gib|tib)?$/i, 'must be bytes, optionally with KiB, MiB, GiB or TiB')
		.transform((text) => parseByteSize(text) ?? Number.NaN)
		.pipe(z.number().int().min(min, `must be at least ${min} bytes`).max(max, `must be at most ${max} bytes`));
}

/** A comma-separated list of distinct whole numbers, returned ascending. */
function numberList(min: number, max: number) {
	return z
		.string()
		.transform((text) => text.split(',').map((item) => item.trim()))
		.pipe(z.array(wholeNumber(min, max)).min(1, 'must list at least one value'))
		.refine((values) => new Set(values).size === values.length, 'must not repeat a value')
		.transform((values) => [...values].sort((a, b) => a - b));
}

/** `N/SECONDS` (at most N requests per SECONDS per client address) or `off`. */
function rateRule() {
	return z
		.string()
		.trim()
		.regex(/^(off|\d+\s*\/\s*\d+)$/i, 'must be N/SECONDS (e.g. 30/600) or off')
		.transform((text): RateRule | false => {
			// `false`, not undefined, for off: zod would replace an undefined output with the default.
			const match = /^(\d+)\s*\/\s*(\d+)$/.exec(text);
			return match ? { max: Number(match[1]), windowSeconds: Number(match[2]) } : false;
		})
		.refine((rule) => rule === false || (rule.max >= 1 && rule.windowSeconds >= 1 && rule.windowSeconds <= 86400), {
			message: 'N must be at least 1 and SECONDS 1 … 86400'
		});
}

/** Bytes per second, optionally with a binary unit (`1KiB`), or `off` (false). */
function byteRateOrOff(min: number, max: number) {
	return z
		.string()
		.trim()
		.regex(/^(off|\d+\s*(kib|mib)?)$/i, 'must be bytes per second, optionally with KiB or MiB (e.g. 1KiB), or off')
		.transform((text): number | false => parseByteSize(text) ?? false)
		.refine((rate) => rate === false || (rate >= min && rate <= max), { message: `must be ${min} … ${max} bytes per second, or off` });
}

/** `false`, `true` (one proxy) or the number of proxies in front of the server. */
const proxyHops = z
	.string()
	.trim()
	.regex(/^(true|false|\d{1,2})$/i, 'must be false, true or a number of proxies')
	.transform((text) => (/^true$/i.test(text) ? 1 : /^false$/i.test(text) ? 0 : Number(text)));

/**
 * Every environment variable the server reads, with its default and a description, so the
 * operator docs table can be generated from this schema (see `describeConfig`).
 */
export const envSchema = z.object({
	SEALDROP_HOST: z.string().trim().min(1).default('127.0.0.1').describe('Interface to listen on; 0.0.0.0 for all.'),
	SEALDROP_PORT: wholeNumber(0, 65535).default(8080).describe('TCP port; 0 picks a free one.'),
	SEALDROP_DATA_DIR: z
		.string()
		.min(1)
		.default('./data')
		.describe('Directory for the SQLite database (sealdrop.sqlite) and the blobs (blobs/).'),
	SEALDROP_PUBLIC_URL: z
		.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
		.optional()
		.describe(
			'The URL users reach the server at (behind a proxy): printed at start-up, given to clients in GET /api/v1/config for their links, and what the CSRF check compares Origin with.'
		),
	SEALDROP_MAX_SHARE_BYTES: byteSize(1, Number.MAX_SAFE_INTEGER)
		.default(10 * 1024 ** 3)
		.describe('Largest share, in ciphertext bytes (KiB/MiB/GiB/TiB suffixes allowed).'),
	SEALDROP_MAX_METADATA_BYTES: byteSize(256, 16 * 1024 ** 2)
		.default(1024 ** 2)
		.describe('Largest sealed metadata (file names, note), in bytes.'),
	SEALDROP_EXPIRY_OPTIONS: numberList(60, 366 * 86400)
		.default([300, 3600, 86400, 604800])
		.describe('Expiry choices offered to senders, in seconds (60 … 31622400 each), comma-separated.'),
	SEALDROP_EXPIRY_DEFAULT: wholeNumber(60, 366 * 86400)
		.default(86400)
		.describe('Preselected expiry, in seconds; one of SEALDROP_EXPIRY_OPTIONS.'),
	SEALDROP_DOWNLOAD_OPTIONS: numberList(1, 1_000_000)
		.default([1, 2, 5, 10, 50, 100])
		.describe('Download-limit choices offered to senders, comma-separated.'),
	SEALDROP_DOWNLOAD_DEFAULT: wholeNumber(1, 1_000_000).default(1).describe('Preselected download limit; one of SEALDROP_DOWNLOAD_OPTIONS.'),
	SEALDROP_TICKET_TTL: wholeNumber(60, 7 * 86400)
		.default(21600)
		.describe('How long a claimed download can be read (and resumed), in seconds (60 … 604800).'),
	SEALDROP_ABANDON_AFTER: wholeNumber(60, 30 * 86400)
		.default(86400)
		.describe('An upload that receives no part for this many seconds (60 … 2592000) is deleted.'),
	SEALDROP_SWEEP_INTERVAL: wholeNumber(1, 86400).default(60).describe('Seconds between sweeps of expired, deleted and abandoned shares.'),
	SEALDROP_TOMBSTONE_DAYS: wholeNumber(0, 3650)
		.default(30)
		.describe('Days a removed share still answers 410 (expired/deleted) before it becomes 404.'),
	SEALDROP_STATIC_DIR: z.string().min(1).default('./build').describe('The built web app (npm run build).'),
	SEALDROP_LOG_LEVEL: z.enum(LOG_LEVELS).default('info').describe('pino log level.'),
	SEALDROP_RATE_LIMIT_CREATE: rateRule()
		.default({ max: 30, windowSeconds: 600 })
		.describe('Shares one client address may create: N/SECONDS, or off.'),
	SEALDROP_RATE_LIMIT_CLAIM: rateRule()
		.default({ max: 60, windowSeconds: 600 })
		.describe('Download claims one client address may make: N/SECONDS, or off.'),
	SEALDROP_RATE_LIMIT_SUBMIT: rateRule()
		.default({ max: 20, windowSeconds: 600 })
		.describe('Submissions to file requests one client address may make (no account needed, also in restricted mode): N/SECONDS, or off.'),
	SEALDROP_TRUST_PROXY: proxyHops
		.default(0)
		.describe('Behind reverse proxies: true (one) or their number, to take the client address from X-Forwarded-For.'),
	SEALDROP_TLS_CERT: z
		.string()
		.min(1)
		.optional()
		.describe('PEM certificate chain for built-in HTTPS (with SEALDROP_TLS_KEY); re-read on SIGHUP.'),
	SEALDROP_TLS_KEY: z.string().min(1).optional().describe('PEM private key for built-in HTTPS (with SEALDROP_TLS_CERT).'),
	SEALDROP_METRICS_TOKEN: z
		.string()
		.trim()
		.regex(/^[A-Za-z0-9\-._~+/]{16,}=*$/, 'must be at least 16 token characters (letters, digits, -._~+/)')
		.optional()
		.describe('If set, GET /metrics requires "Authorization: Bearer <token>".'),
	SEALDROP_IDLE_TIMEOUT: wholeNumber(1, 3600)
		.default(60)
		.describe(
			'Seconds a request body (a part upload) may send nothing before its connection is cut; a slow upload that keeps sending is never cut.'
		),
	SEALDROP_HEADERS_TIMEOUT: wholeNumber(1, 600).default(10).describe('Seconds a client has to send its request headers.'),
	SEALDROP_KEEP_ALIVE_TIMEOUT: wholeNumber(1, 3600)
		.default(5)
		.describe('Seconds an idle keep-alive connection stays open; above the idle timeout of a load balancer in front.'),
	SEALDROP_MAX_CONCURRENT_UPLOADS: wholeNumber(1, 100_000)
		.default(64)
		.describe('Part uploads one process receives at once; more are refused with 503 SERVER_BUSY and Retry-After.'),
	SEALDROP_MAX_UPLOADS_PER_CLIENT: wholeNumber(1, 100_000)
		.optional()
		.describe(
			'Part uploads one client address (or real client behind SEALDROP_TRUST_PROXY) may have in flight; more get 503 SERVER_BUSY and Retry-After. Default: an eighth of SEALDROP_MAX_CONCURRENT_UPLOADS, at least 4.'
		),
	SEALDROP_MIN_UPLOAD_RATE: byteRateOrOff(1, 1024 ** 3)
		.default(1024)
		.describe(
			'Bytes per second (KiB/MiB suffixes allowed) a request body must average, counted from its start once the grace period is over; a slower one is cut. off: no floor.'
		),
	SEALDROP_MIN_UPLOAD_RATE_GRACE: wholeNumber(1, 3600)
		.default(20)
		.describe('Seconds a request body is read before SEALDROP_MIN_UPLOAD_RATE applies.'),
	SEALDROP_MAX_CONNECTIONS: wholeNumber(1, 1_000_000)
		.default(4096)
		.describe('Open connections one process keeps; more are closed as they arrive. Keep it under the file descriptor limit.'),
	SEALDROP_MAX_CONNECTIONS_PER_ADDRESS: wholeNumber(0, 1_000_000)
		.default(64)
		.describe(
			'Open connections from one client address (IPv6: one /64); more are closed as they arrive. 0: no cap. Only without SEALDROP_TRUST_PROXY: behind a proxy, limit connections per client there.'
		),
	SEALDROP_CONFIG_FILE: z
		.string()
		.min(1)
		.optional()
		.describe('A file of SEALDROP_*=value lines read at start; environment variables override it.'),
	SEALDROP_UPLOAD_ACCESS: z
		.enum(['open', 'restricted'])
		.default('open')
		.describe('Who may upload: open (anyone) or restricted (user accounts made with `npm run user -- add NAME`).'),
	SEALDROP_SESSION_TTL: wholeNumber(300, 30 * 86400)
		.default(7 * 86400)
		.describe('How long a login session lasts in restricted mode, in seconds.'),
	SEALDROP_RATE_LIMIT_LOGIN: rateRule()
		.default({ max: 10, windowSeconds: 300 })
		.describe('Login attempts one client address may make: N/SECONDS, or off.'),
	...storeEnvSchema,
	SEALDROP_S3_DIRECT: booleanOption().describe(
		'With SEALDROP_BLOB_STORE=s3 only: clients send parts to and read ranges from the bucket with short-lived presigned URLs, so this server carries no file bytes (docs/SELF-HOSTING.md, "Direct S3 transfers": the bucket needs a CORS rule).'
	),
	SEALDROP_S3_DIRECT_TTL: wholeNumber(10, 3600)
		.default(300)
		.describe('Seconds a presigned URL of SEALDROP_S3_DIRECT lives (10 … 3600); a download URL never outlives its ticket.')
});

export type EnvName = keyof typeof envSchema.shape;

export class ConfigError extends Error {
	constructor(readonly problems: string[]) {
		super(`Invalid configuration:\n${problems.map((line) => `  ${line}`).join('\n')}`);
		this.name = 'ConfigError';
	}
}

/** One row per variable, for generating the operator docs table. */
export function describeConfig(): { name: EnvName; description: string; default: string | undefined }[] {
	return Object.entries(envSchema.shape).map(([name, schema]) => {
		const def = schema.def as { type: string; defaultValue?: unknown };
		const value = def.type === 'default' ? def.defaultValue : undefined;
		return {
			name: name as EnvName,
			description: schema.description ?? '',
			default: showDefault(value)
		};
	});
}

function showDefault(value: unknown): string | undefined {
	if (value === undefined) return undefined;
	if (Array.isArray(value)) return value.join(',');
	if (typeof value === 'object' && value !== null && 'windowSeconds' in value) {
		const rule = value as RateRule;
		return `${rule.max}/${rule.windowSeconds}`;
	}
	return String(value);
}
