import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, envSchema, MAX_PARTS, PART_SIZE, type Config } from './schema';
import { selectStores } from './stores';

/*
 * The one configuration loader: every entry point (server/main.ts, server/cli/main.ts, the tests
 * and the bench) reads its settings through loadConfigFromEnvironment, or loadConfig when it has
 * the variables already. The variables themselves are declared in schema.ts (and stores.ts).
 */

/** Settings read from a file, and the line each came from (for error messages). */
export interface ConfigFile {
	path: string;
	values: Record<string, string>;
	lines: Record<string, number>;
}

/** Reads `SEALDROP_*` variables; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
	// An empty variable (`SEALDROP_PUBLIC_URL=`) means "unset", as in most shells' .env files.
	const input: Record<string, string> = {};
	for (const name of Object.keys(envSchema.shape)) {
		const value = env[name];
		if (value !== undefined && value.trim() !== '') input[name] = value;
	}
	const parsed = envSchema.safeParse(input);
	if (!parsed.success) {
		throw new ConfigError(
			parsed.error.issues.map((issue) => {
				const name = String(issue.path[0] ?? 'environment');
				const item = typeof issue.path[1] === 'number' ? `item ${issue.path[1] + 1}: ` : '';
				const got = input[name] === undefined ? '' : ` (got ${JSON.stringify(input[name])})`;
				return `${name}: ${item}${issue.message}${got}`;
			})
		);
	}
	const e = parsed.data;
	const problems: string[] = [];
	if (!e.SEALDROP_EXPIRY_OPTIONS.includes(e.SEALDROP_EXPIRY_DEFAULT)) {
		problems.push(`SEALDROP_EXPIRY_DEFAULT: must be one of SEALDROP_EXPIRY_OPTIONS (${e.SEALDROP_EXPIRY_OPTIONS.join(',')})`);
	}
	if (!e.SEALDROP_DOWNLOAD_OPTIONS.includes(e.SEALDROP_DOWNLOAD_DEFAULT)) {
		problems.push(`SEALDROP_DOWNLOAD_DEFAULT: must be one of SEALDROP_DOWNLOAD_OPTIONS (${e.SEALDROP_DOWNLOAD_OPTIONS.join(',')})`);
	}
	if ((e.SEALDROP_TLS_CERT === undefined) !== (e.SEALDROP_TLS_KEY === undefined)) {
		problems.push(
			`${e.SEALDROP_TLS_CERT === undefined ? 'SEALDROP_TLS_CERT' : 'SEALDROP_TLS_KEY'}: set both SEALDROP_TLS_CERT and SEALDROP_TLS_KEY, or neither`
		);
	}
	if (e.SEALDROP_MAX_SHARE_BYTES > PART_SIZE.max * MAX_PARTS) {
		problems.push(`SEALDROP_MAX_SHARE_BYTES: must be at most ${PART_SIZE.max * MAX_PARTS} (${MAX_PARTS} parts of 64 MiB)`);
	}
	if (e.SEALDROP_UPLOAD_ACCESS === 'restricted' && e.SEALDROP_PUBLIC_URL?.startsWith('http:') && !isLoopbackUrl(e.SEALDROP_PUBLIC_URL)) {
		// Passwords and the session cookie would cross the network in clear, and browsers refuse
		// the Secure session cookie from a plain-http origin anyway.
		problems.push('SEALDROP_PUBLIC_URL: restricted uploads need https (or a localhost URL): logins must not cross the network in clear');
	}
	const dataDir = resolve(e.SEALDROP_DATA_DIR);
	const selected = selectStores(e, dataDir);
	problems.push(...selected.problems);
	if (e.SEALDROP_S3_DIRECT && e.SEALDROP_BLOB_STORE !== 's3') {
		// Only a bucket can hand out presigned URLs; quietly proxying instead would hide the mistake.
		problems.push('SEALDROP_S3_DIRECT: needs SEALDROP_BLOB_STORE=s3 (clients can only reach an S3 bucket directly)');
	}
	if (problems.length > 0 || !selected.stores) throw new ConfigError(problems);

	return {
		host: e.SEALDROP_HOST,
		port: e.SEALDROP_PORT,
		dataDir,
		publicUrl: e.SEALDROP_PUBLIC_URL?.replace(/\/+$/, ''),
		maxShareBytes: e.SEALDROP_MAX_SHARE_BYTES,
		maxMetadataBytes: e.SEALDROP_MAX_METADATA_BYTES,
		partSize: { ...PART_SIZE },
		maxParts: MAX_PARTS,
		expiryOptions: e.SEALDROP_EXPIRY_OPTIONS,
		expiryDefault: e.SEALDROP_EXPIRY_DEFAULT,
		downloadOptions: e.SEALDROP_DOWNLOAD_OPTIONS,
		downloadDefault: e.SEALDROP_DOWNLOAD_DEFAULT,
		ticketTtl: e.SEALDROP_TICKET_TTL,
		abandonAfter: e.SEALDROP_ABANDON_AFTER,
		sweepInterval: e.SEALDROP_SWEEP_INTERVAL,
		tombstoneDays: e.SEALDROP_TOMBSTONE_DAYS,
		staticDir: resolve(e.SEALDROP_STATIC_DIR),
		logLevel: e.SEALDROP_LOG_LEVEL,
		rateLimits: { create: e.SEALDROP_RATE_LIMIT_CREATE || undefined, claim: e.SEALDROP_RATE_LIMIT_CLAIM || undefined },
		trustProxy: e.SEALDROP_TRUST_PROXY,
		metricsToken: e.SEALDROP_METRICS_TOKEN,
		timeouts: { idle: e.SEALDROP_IDLE_TIMEOUT, headers: e.SEALDROP_HEADERS_TIMEOUT, keepAlive: e.SEALDROP_KEEP_ALIVE_TIMEOUT },
		maxConcurrentUploads: e.SEALDROP_MAX_CONCURRENT_UPLOADS,
		maxUploadsPerClient: Math.min(
			e.SEALDROP_MAX_CONCURRENT_UPLOADS,
			e.SEALDROP_MAX_UPLOADS_PER_CLIENT ?? Math.max(4, Math.floor(e.SEALDROP_MAX_CONCURRENT_UPLOADS / 8))
		),
		minUploadRate:
			e.SEALDROP_MIN_UPLOAD_RATE === false
				? undefined
				: { bytesPerSecond: e.SEALDROP_MIN_UPLOAD_RATE, graceSeconds: e.SEALDROP_MIN_UPLOAD_RATE_GRACE },
		maxConnections: e.SEALDROP_MAX_CONNECTIONS,
		maxConnectionsPerAddress: e.SEALDROP_MAX_CONNECTIONS_PER_ADDRESS,
		tls:
			e.SEALDROP_TLS_CERT && e.SEALDROP_TLS_KEY
				? { certFile: resolve(e.SEALDROP_TLS_CERT), keyFile: resolve(e.SEALDROP_TLS_KEY) }
				: undefined,
		...selected.stores,
		s3Direct: e.SEALDROP_S3_DIRECT ? { ttl: e.SEALDROP_S3_DIRECT_TTL } : undefined,
		uploadAccess: e.SEALDROP_UPLOAD_ACCESS,
		sessionTtl: e.SEALDROP_SESSION_TTL,
		loginRateLimit: e.SEALDROP_RATE_LIMIT_LOGIN || undefined,
		submitRateLimit: e.SEALDROP_RATE_LIMIT_SUBMIT || undefined
	};
}

function isLoopbackUrl(url: string): boolean {
	const host = new URL(url).hostname;
	return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads a dotenv-style file: `KEY=value` lines, `#` comments and blank lines, an optional
 * `export ` prefix, values optionally in single or double quotes (taken literally; inside double
 * quotes `\"` and `\\` are escapes). Only Sealdrop settings are allowed, each at most once, so a
 * typo cannot be silently ignored. Throws ConfigError naming the file, the line and the key.
 */
export function readConfigFile(file: string): ConfigFile {
	const path = resolve(file);
	let text: string;
	try {
		text = readFileSync(path, 'utf8');
	} catch (error) {
		const code = (error as { code?: unknown } | null)?.code;
		throw new ConfigError([`SEALDROP_CONFIG_FILE: cannot read ${path} (${typeof code === 'string' ? code : 'error'})`]);
	}
	const known = new Set(Object.keys(envSchema.shape));
	const values: Record<string, string> = {};
	const lines: Record<string, number> = {};
	const problems: string[] = [];
	text.split(/\r?\n/).forEach((raw, index) => {
		const where = `${path} line ${index + 1}`;
		const line = raw.trim();
		if (line === '' || line.startsWith('#')) return;
		const eq = line.indexOf('=');
		const key = (eq < 0 ? line : line.slice(0, eq)).replace(/^export\s+/, '').trim();
		if (eq < 0 || !KEY.test(key)) {
			problems.push(`${where}: expected KEY=value`);
			return;
		}
		if (key === 'SEALDROP_CONFIG_FILE') {
			problems.push(`${where}: SEALDROP_CONFIG_FILE cannot be set inside the config file`);
			return;
		}
		if (!known.has(key)) {
			problems.push(`${where}: unknown setting ${key}`);
			return;
		}
		if (lines[key] !== undefined) {
			problems.push(`${where}: ${key} is already set on line ${lines[key]}`);
			return;
		}
		const value = unquote(line.slice(eq + 1).trim());
		if (value === undefined) {
			problems.push(`${where}: ${key} has an unterminated quote`);
			return;
		}
		values[key] = value;
		lines[key] = index + 1;
	});
	if (problems.length > 0) throw new ConfigError(problems);
	return { path, values, lines };
}

function unquote(value: string): string | undefined {
	const quote = value[0];
	if (quote === "'" || quote === '"') {
		const end = value.lastIndexOf(quote);
		if (end === 0) return undefined;
		const inner = value.slice(1, end);
		// Anything after the closing quote may only be a comment.
		const rest = value.slice(end + 1).trim();
		if (rest !== '' && !rest.startsWith('#')) return undefined;
		return quote === '"' ? inner.replace(/\\(["\\])/g, '$1') : inner;
	}
	// An unquoted value ends at a ` #` comment, as in most dotenv readers.
	return value.replace(/\s+#.*$/, '');
}

/**
 * The configuration of a process: `SEALDROP_CONFIG_FILE`'s settings, if it names a file, with
 * the environment on top (a variable that is set and not empty wins over the file). A bad value
 * that came from the file is reported with the file and line it is on.
 */
export function loadConfigFromEnvironment(env: Record<string, string | undefined>): Config {
	const file = env.SEALDROP_CONFIG_FILE?.trim();
	if (!file) return loadConfig(env);
	const read = readConfigFile(file);
	const merged: Record<string, string | undefined> = { ...read.values };
	const fromFile = new Set(Object.keys(read.values));
	for (const [name, value] of Object.entries(env)) {
		if (value === undefined || value.trim() === '') continue;
		merged[name] = value;
		fromFile.delete(name);
	}
	try {
		return loadConfig(merged);
	} catch (error) {
		if (!(error instanceof ConfigError)) throw error;
		throw new ConfigError(
			error.problems.map((problem) => {
				const name = /^([A-Z0-9_]+):/.exec(problem)?.[1];
				return name && fromFile.has(name) ? `${problem} [set in ${read.path} line ${read.lines[name]}]` : problem;
			})
		);
	}
}
