import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { expect } from 'vitest';
import { createApp, type AppDeps } from '../../server/app';
import type { Clock } from '../../server/clock';
import { ConfigError, type Config } from '../../server/config/schema';
import { loadConfig } from '../../server/config/load';
import { createLogger, type Logger } from '../../server/logger';
import { FsBlobStore } from '../../server/stores/blob/fs';
import type { BlobStore } from '../../server/stores/blob/types';
import { openSqliteMetaStore } from '../../server/stores/meta/sqlite';
import type { MetaStore } from '../../server/stores/meta/types';
import type { ClaimResponse, CreateShareResponse } from '../../src/lib/api/types';
import { DEFAULT_ARGON2, DEFAULT_RECORD_SIZE, encodeHeader } from '../../src/lib/crypto';
import { until } from '../support/wait';

export const API = '/api/v1';

/** Time that moves only when a test says so. */
export class FakeClock implements Clock {
	constructor(public t = Date.UTC(2030, 0, 1)) {}
	now(): number {
		return this.t;
	}
	advance(ms: number): void {
		this.t += ms;
	}
}

export async function tempDir(prefix = 'sealdrop-test-'): Promise<string> {
	return mkdtemp(join(tmpdir(), prefix));
}

/** Log lines as parsed JSON, from a pino destination that keeps them in memory. */
export interface LogCapture {
	logger: Logger;
	lines: Record<string, unknown>[];
	text(): string;
	/** The first line written from now on that matches `predicate`: call it before causing the line. */
	nextLine(predicate: (line: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
}

export function captureLogs(level: 'info' | 'debug' = 'info'): LogCapture {
	const raw: string[] = [];
	const written = new EventEmitter();
	const logger = createLogger(level, {
		write: (line: string) => {
			raw.push(line);
			written.emit('line');
		}
	});
	const parse = (line: string) => JSON.parse(line) as Record<string, unknown>;
	return {
		logger,
		get lines() {
			return raw.map(parse);
		},
		text: () => raw.join(''),
		nextLine(predicate, what) {
			const from = raw.length;
			return until(() => raw.slice(from).map(parse).find(predicate), [written], 'line', { what: `${what} in the log` });
		}
	};
}

/**
 * Test parts are KiB, not MiB, to keep the suite fast; the real limits are exercised by
 * config.test.ts, create.test.ts ('real part limits') and real-port.test.ts.
 */
export const SMALL_PARTS = { min: 1024, max: 64 * 1024, preferred: 4096 };

export function testConfig(dir: string, env: Record<string, string> = {}, smallParts = true): Config {
	const config = loadConfig({
		SEALDROP_DATA_DIR: join(dir, 'data'),
		SEALDROP_STATIC_DIR: join(dir, 'no-build'),
		SEALDROP_LOG_LEVEL: 'silent',
		...env
	});
	return smallParts ? { ...config, partSize: { ...SMALL_PARTS } } : config;
}

/** For a server that really listens: a free port on 127.0.0.1, real part sizes. */
export function listeningConfig(dir: string, env: Record<string, string> = {}): Config {
	return testConfig(dir, { SEALDROP_HOST: '127.0.0.1', SEALDROP_PORT: '0', ...env }, false);
}

export interface Harness {
	dir: string;
	config: Config;
	clock: FakeClock;
	meta: MetaStore;
	blobs: BlobStore;
	blobDir: string;
	app: Hono;
	logs: LogCapture;
	/** app.request on /api/v1 + path; fails the test on any 5xx. */
	api(path: string, init?: RequestInit): Promise<Response>;
	close(): Promise<void>;
}

export interface HarnessOptions {
	env?: Record<string, string>;
	smallParts?: boolean;
	/** Replace stores, e.g. with a wrapper that fails on purpose. */
	wrapMeta?: (meta: MetaStore) => MetaStore;
	wrapBlobs?: (blobs: BlobStore) => BlobStore;
	config?: (config: Config) => Config;
	/** Other backends than SQLite + fs (PostgreSQL, S3); the harness closes them. */
	openStores?: (config: Config) => Promise<{ meta: MetaStore; blobs: BlobStore; close(): Promise<void> }>;
	/** Extra app dependencies, e.g. a wrong-token limiter or a client-address function. */
	app?: Pick<AppDeps, 'attemptLimits' | 'clientAddress' | 'streamTiming'>;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
	const dir = await tempDir();
	let config = testConfig(dir, options.env, options.smallParts ?? true);
	if (options.config) config = options.config(config);
	const clock = new FakeClock();
	const logs = captureLogs();
	const opened = await options.openStores?.(config);
	const realMeta = opened?.meta ?? (await openSqliteMetaStore({ file: join(config.dataDir, 'sealdrop.sqlite') }));
	const meta = options.wrapMeta ? options.wrapMeta(realMeta) : realMeta;
	const blobDir = join(config.dataDir, 'blobs');
	const fsBlobs = opened?.blobs ?? (await FsBlobStore.open(blobDir));
	const blobs = options.wrapBlobs ? options.wrapBlobs(fsBlobs) : fsBlobs;
	const app = createApp({ config, clock, meta, blobs, logger: logs.logger, ...options.app });
	return {
		dir,
		config,
		clock,
		meta,
		blobs,
		blobDir,
		app,
		logs,
		async api(path, init) {
			const response = await app.request(API + path, init);
			if (response.status >= 500) {
				expect.fail(`${init?.method ?? 'GET'} ${path} answered ${response.status}: ${await response.text()}`);
			}
			return response;
		},
		async close() {
			await (opened ? opened.close() : realMeta.close());
			await rm(dir, { recursive: true, force: true });
		}
	};
}

export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
export const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

export function bearer(token: string): Record<string, string> {
	return { authorization: `Bearer ${token}` };
}

export function jsonInit(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
	return { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } };
}

/** What a client holds after creating a share. */
export interface ClientShare extends CreateShareResponse {
	ownerToken: string;
	readToken: string;
	bytes: Buffer;
	partSize: number;
	header: Buffer;
	metadata: Buffer;
}

export interface ShareOptions {
	size?: number;
	partSize?: number;
	expiresIn?: number;
	maxDownloads?: number;
	metadata?: Buffer;
	/** The public header; by default a version-1 header of a password share (DEFAULT_HEADER). */
	header?: Uint8Array;
}

/** A well-formed version-1 header with a password (the server checks headers at create). */
export const DEFAULT_HEADER = encodeHeader({
	version: 1,
	recordSize: DEFAULT_RECORD_SIZE,
	salt: new Uint8Array(32).fill(7),
	kdf: { ...DEFAULT_ARGON2 },
	commitment: new Uint8Array(32).fill(9)
});

export function createBody(options: ShareOptions & { size: number; partSize: number }, tokens: { owner: Buffer; read: Buffer }) {
	return {
		size: options.size,
		partSize: options.partSize,
		expiresIn: options.expiresIn ?? 86400,
		maxDownloads: options.maxDownloads ?? 1,
		header: b64(options.header ?? DEFAULT_HEADER),
		metadata: b64(options.metadata ?? randomBytes(256)),
		readTokenHash: b64(sha256(tokens.read)),
		ownerTokenHash: b64(sha256(tokens.owner))
	};
}

/**
 * A one-part share of `size` random bytes, created over HTTP on the listening server at `baseUrl`
 * (startSealdrop): what a client holds, with the URL its part is PUT to.
 */
export async function createOnePartShare(baseUrl: string, size: number) {
	const tokens = { owner: randomBytes(32), read: randomBytes(32) };
	const response = await fetch(`${baseUrl}${API}/shares`, jsonInit('POST', createBody({ size, partSize: size }, tokens)));
	expect(response.status).toBe(201);
	const share = (await response.json()) as CreateShareResponse;
	return { ...share, owner: b64(tokens.owner), bytes: randomBytes(size), partUrl: `${baseUrl}${API}/shares/${share.id}/parts/0` };
}
export type OnePartShare = Awaited<ReturnType<typeof createOnePartShare>>;

/** A raw TCP connection to 127.0.0.1:`port` (from `localAddress`, if given), once it is open. */
export async function openSocket(port: number, localAddress?: string): Promise<Socket> {
	const socket = connect({ port, host: '127.0.0.1', localAddress });
	await new Promise<void>((resolve, reject) => {
		socket.once('connect', () => resolve());
		socket.once('error', reject);
	});
	return socket;
}

export async function createShare(h: Harness, options: ShareOptions = {}): Promise<ClientShare> {
	const size = options.size ?? 3000;
	const partSize = options.partSize ?? 1024;
	const tokens = { owner: randomBytes(32), read: randomBytes(32) };
	const body = createBody({ ...options, size, partSize }, tokens);
	const response = await h.api('/shares', jsonInit('POST', body));
	expect(response.status, await response.clone().text()).toBe(201);
	const created = (await response.json()) as CreateShareResponse;
	return {
		...created,
		ownerToken: b64(tokens.owner),
		readToken: b64(tokens.read),
		bytes: randomBytes(size),
		partSize,
		header: Buffer.from(body.header, 'base64url'),
		metadata: Buffer.from(body.metadata, 'base64url')
	};
}

export function partBytes(share: ClientShare, n: number): Buffer {
	return share.bytes.subarray(n * share.partSize, Math.min(share.bytes.length, (n + 1) * share.partSize));
}

/** Bytes as a fetch body (Node's Buffers are fine; the DOM typings want an ArrayBuffer view). */
export const asBody = (bytes: Uint8Array): BodyInit => bytes as Uint8Array<ArrayBuffer>;

export function putPart(h: Harness, share: ClientShare, n: number, body: Uint8Array = partBytes(share, n)): Promise<Response> {
	return h.api(`/shares/${share.id}/parts/${n}`, { method: 'PUT', body: asBody(body), headers: bearer(share.ownerToken) });
}

export async function uploadAll(h: Harness, share: ClientShare): Promise<void> {
	for (let n = 0; n < share.parts; n++) expect((await putPart(h, share, n)).status).toBe(200);
}

export async function completeShare(h: Harness, share: ClientShare): Promise<Response> {
	return h.api(`/shares/${share.id}/complete`, { method: 'POST', headers: bearer(share.ownerToken) });
}

/** Created, uploaded and completed. */
export async function readyShare(h: Harness, options: ShareOptions = {}): Promise<ClientShare> {
	const share = await createShare(h, options);
	await uploadAll(h, share);
	expect((await completeShare(h, share)).status).toBe(200);
	return share;
}

export async function claim(h: Harness, share: ClientShare): Promise<ClaimResponse> {
	const response = await h.api(`/shares/${share.id}/claim`, { method: 'POST', headers: bearer(share.readToken) });
	expect(response.status, await response.clone().text()).toBe(200);
	return (await response.json()) as ClaimResponse;
}

export async function errorCode(response: Response): Promise<string> {
	const body = (await response.json()) as { error?: { code?: string } };
	return body.error?.code ?? `(no error code, status ${response.status})`;
}

/** Status and error code in one assertion-friendly string, e.g. "410 EXPIRED". */
export async function outcome(response: Response): Promise<string> {
	if (response.status < 400) return String(response.status);
	return `${response.status} ${await errorCode(response)}`;
}

/** Every file under dir, relative paths, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
	const entries = await readdir(dir, { recursive: true, withFileTypes: true });
	return entries
		.filter((entry) => entry.isFile())
		.map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
		.sort();
}

/** All the bytes of a stream (a blob store's read). */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
	return Buffer.from(await new Response(stream).arrayBuffer());
}

/** `bytes` as a part body for a blob store, in pieces of `size`. */
export async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
	for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** A part body of 100 declared bytes whose client hangs up ('client gone' on `controller`) after the first 10. */
export async function* hangsUpAfterFirstPiece(controller: AbortController): AsyncGenerator<Uint8Array> {
	yield new Uint8Array(10);
	controller.abort(new Error('client gone'));
	yield new Uint8Array(10);
}

/** A stream that records whether anyone read it. */
export function watchedStream(bytes: Uint8Array): { stream: ReadableStream<Uint8Array>; pulled: () => boolean } {
	let pulled = false;
	const stream = new ReadableStream<Uint8Array>(
		{
			pull(controller) {
				pulled = true;
				controller.enqueue(bytes);
				controller.close();
			}
		},
		{ highWaterMark: 0 }
	);
	return { stream, pulled: () => pulled };
}

/** RequestInit for a streamed body (Node needs duplex: 'half'). */
export function streamInit(method: string, body: ReadableStream<Uint8Array>, headers: Record<string, string>): RequestInit {
	return { method, body, headers, duplex: 'half' } as RequestInit;
}

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

/** The problems a bad environment is refused with (fails the test if it is accepted). */
export function configProblems(env: Record<string, string>): string[] {
	try {
		loadConfig(env);
	} catch (error) {
		expect(error).toBeInstanceOf(ConfigError);
		return (error as ConfigError).problems;
	}
	return expect.fail('expected a ConfigError');
}
