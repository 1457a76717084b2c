import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import type { StreamTiming } from '../../../server/shares/stream';
import { startSealdrop, type RunningSealdrop } from '../../../server/start';
import { ApiClient, ApiError, type RequestOptions } from '../../../src/lib/api/client';
import type { CompleteResponse, CreateShareRequest, CreateShareResponse } from '../../../src/lib/api/types';
import { concatBytes, passwordBytes, sha256, type PasswordKdf } from '../../../src/lib/crypto';
import { inlineBackend, type CryptoBackend, type PartUpload } from '../../../src/lib/transfer/crypto-backend';
import { RECONNECT_EVERY_MS } from '../../../src/lib/controllers/upload-controller';
import { DownloadSession, openShare } from '../../../src/lib/transfer/download';
import type { RetryEnv } from '../../../src/lib/transfer/retry';
import type { SaveSink } from '../../../src/lib/save/sinks';
import type { MyUploadsStore, RememberedUpload } from '../../../src/lib/uploads/my-uploads';
import { FakeClock, tempDir, testConfig } from '../../server/helpers';

/**
 * A real Sealdrop on 127.0.0.1 for the controllers to talk to, with parts of one 64 KiB record so
 * that a 200 KB file makes several parts. Its clock moves only when a test says so.
 */
export interface TestServer {
	url: string;
	server: RunningSealdrop;
	clock: FakeClock;
	client(): GatedApi;
	close(): Promise<void>;
}

/** `streamTiming` shortens how long a read of a share still uploading waits for a part. */
export async function startTestServer(env: Record<string, string> = {}, streamTiming?: StreamTiming): Promise<TestServer> {
	const dir = await tempDir();
	const base = testConfig(
		dir,
		{ SEALDROP_HOST: '127.0.0.1', SEALDROP_PORT: '0', SEALDROP_RATE_LIMIT_CREATE: 'off', SEALDROP_RATE_LIMIT_CLAIM: 'off', ...env },
		false
	);
	const clock = new FakeClock();
	const server = await startSealdrop({ ...base, partSize: { min: 1024, max: 1024 * 1024, preferred: 1024 } }, { clock, streamTiming });
	return {
		url: server.url,
		server,
		clock,
		client: () => new GatedApi(server.url),
		async close() {
			await server.close();
			await rm(dir, { recursive: true, force: true });
		}
	};
}

export interface Deferred<T = void> {
	promise: Promise<T>;
	resolve(value: T): void;
	reject(reason: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
	let resolve!: (value: T) => void;
	let reject!: (reason: unknown) => void;
	const promise = new Promise<T>((res, rej) => {
		resolve = res;
		reject = rej;
	});
	return { promise, resolve, reject };
}

/** A hold on one call: `reached` when the call gets there, and it waits for `release`. */
export interface Gate {
	reached: Deferred;
	release: Deferred;
}

export const gate = (): Gate => ({ reached: deferred(), release: deferred() });

/** Rejects as an aborted request does, once `signal` aborts. */
function whenAborted(signal: AbortSignal | undefined): Promise<never> {
	return new Promise((_, reject) => {
		const abort = () => reject(new ApiError('ABORTED', 'Cancelled.'));
		if (signal?.aborted) abort();
		signal?.addEventListener('abort', abort, { once: true });
	});
}

/** The real client, recording requests, whose share creation a test can hold open. */
export class GatedApi extends ApiClient {
	/** Holds the next createShare before its request is sent. */
	beforeCreate: Gate | null = null;
	/** Holds the next createShare after the server has created the share, before it returns. */
	afterCreate: Gate | null = null;
	/** Holds the next complete after the server has completed the share, before it returns. */
	afterComplete: Gate | null = null;

	private readonly log: string[];

	constructor(origin: string, fetchImpl: typeof fetch = (...args) => fetch(...args)) {
		const log: string[] = [];
		super(origin, (input, init) => {
			// fetch sends nothing for a signal already aborted.
			if (!init?.signal?.aborted) log.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
			return fetchImpl(input, init);
		});
		this.log = log;
	}

	/** `METHOD /path` of every request sent so far. */
	requests(): string[] {
		return [...this.log];
	}

	override async createShare(body: CreateShareRequest, opts?: RequestOptions): Promise<CreateShareResponse> {
		await this.pass('beforeCreate');
		const created = await super.createShare(body, opts);
		await this.pass('afterCreate');
		return created;
	}

	override async complete(id: string, ownerToken: string, opts?: RequestOptions): Promise<CompleteResponse> {
		const completed = await super.complete(id, ownerToken, opts);
		await this.pass('afterComplete');
		return completed;
	}

	/** Waits at the named gate if the test set one; a gate holds one call only. */
	private async pass(name: 'beforeCreate' | 'afterCreate' | 'afterComplete'): Promise<void> {
		const held = this[name];
		this[name] = null;
		if (!held) return;
		held.reached.resolve();
		await held.release.promise;
	}
}

/** The in-thread crypto backend, counting parts sent, which can hold one part until released or aborted. */
export class GatedBackend implements CryptoBackend {
	readonly sent: number[] = [];
	hold: { part: number; gate: Gate } | null = null;
	/** Fails the next send of this part with this error, once. */
	failNext: { part: number; error: Error } | null = null;
	/** Every send fails as with the network down (checked after a hold is released). */
	offline = false;
	/** Sends that failed because of `offline`. */
	refused = 0;

	async sendPart(part: PartUpload, signal?: AbortSignal): Promise<void> {
		if (this.failNext?.part === part.n) {
			const { error } = this.failNext;
			this.failNext = null;
			throw error;
		}
		const hold = this.hold?.part === part.n ? this.hold : null;
		if (hold) {
			this.hold = null;
			hold.gate.reached.resolve();
			await Promise.race([hold.gate.release.promise, whenAborted(signal)]);
		}
		if (this.offline) {
			this.refused++;
			throw new ApiError('NETWORK', 'Cannot reach the server.');
		}
		await inlineBackend.sendPart(part, signal);
		this.sent.push(part.n);
	}

	openRange = inlineBackend.openRange;
	dispose(): void {}
}

/**
 * Stands in for Argon2id (seconds of CPU per call): the same on both sides of a test, so a share
 * made with it opens with it, and a wrong password still gives a wrong key.
 */
export const fastKdf: PasswordKdf = async (password, header) => sha256(concatBytes(passwordBytes(password), header.salt));

/** My uploads kept in memory; `failing` makes it refuse, as a private window's storage can. */
export function memoryMyUploads(failing = false): MyUploadsStore & { items: Map<string, RememberedUpload> } {
	const items = new Map<string, RememberedUpload>();
	const refuse = async () => {
		throw new DOMException('No storage here', 'InvalidStateError');
	};
	return {
		items,
		save: failing ? refuse : async (upload) => void items.set(upload.id, upload),
		get: async (id) => items.get(id),
		list: async () => [...items.values()],
		forget: async (id) => void items.delete(id)
	};
}

/** A sink that keeps what it is given; `closed` once every byte was verified. */
export function collectingSink(): SaveSink & { bytes(): Buffer; closed: boolean; aborted: boolean } {
	const chunks: Uint8Array[] = [];
	return {
		closed: false,
		aborted: false,
		async write(chunk) {
			chunks.push(chunk.slice());
		},
		async close() {
			this.closed = true;
		},
		async abort() {
			this.aborted = true;
		},
		bytes: () => Buffer.concat(chunks)
	};
}

/** The plaintext of a whole share, read as a recipient would (spends a download). */
export async function readShare(api: ApiClient, id: string, secret: string, password?: string): Promise<Buffer> {
	const opened = await openShare(api, id, secret, { password, passwordKdf: fastKdf });
	const session = new DownloadSession(opened, { api, crypto: inlineBackend });
	const sink = collectingSink();
	await session.save(0, opened.layout.plainSize, sink);
	return sink.bytes();
}

export const file = (name: string, bytes: Uint8Array, type = 'application/octet-stream', lastModified = 1_700_000_000_000): File =>
	new File([bytes as Uint8Array<ArrayBuffer>], name, { type, lastModified });

/** About three 64 KiB records and a bit: four parts on the test server. */
export const randomFile = (name = 'a.bin', size = 3 * 65536 + 1000): { file: File; bytes: Buffer } => {
	const bytes = randomBytes(size);
	return { file: file(name, bytes), bytes };
};

/** The server's answer to a share's public info: "200" or the error code. */
export async function shareStatus(api: ApiClient, id: string): Promise<string> {
	try {
		await api.info(id);
		return '200';
	} catch (err) {
		if (err instanceof ApiError) return err.code;
		throw err;
	}
}

/** Every state a controller went through, from its subscription on. */
export function record<T extends { phase: string }>(observable: { subscribe(run: (state: T) => void): () => void }): string[] {
	const phases: string[] = [];
	observable.subscribe((state) => {
		if (phases.at(-1) !== state.phase) phases.push(state.phase);
	});
	return phases;
}

/** The browser's `online` event, fired by the test. */
export function onlineEvents() {
	const listeners = new Set<() => void>();
	return {
		subscribe(listener: () => void) {
			listeners.add(listener);
			return () => void listeners.delete(listener);
		},
		fire: () => [...listeners].forEach((listener) => listener())
	};
}

/**
 * Retry waits for a test: backoff waits pass at once unless `holdBackoff`; every other wait (and
 * the long wait to reconnect always) lasts until aborted, by the online event or by Pause.
 * `longWaits` counts the waits to reconnect begun, and `waiting` resolves when one begins. Both
 * controllers wait RECONNECT_EVERY_MS (30 s) between rounds while the network stays down.
 */
export function testRetryEnv(holdBackoff = false) {
	const env = {
		longWaits: 0,
		waiting: deferred(),
		random: () => 0.5,
		now: () => Date.now(),
		async sleep(ms: number, signal?: AbortSignal) {
			if (ms < RECONNECT_EVERY_MS && !holdBackoff) return;
			if (ms >= RECONNECT_EVERY_MS) {
				env.longWaits++;
				env.waiting.resolve();
			}
			await new Promise<void>((_, reject) => {
				const abort = () => reject(new ApiError('ABORTED', 'Cancelled.'));
				if (signal?.aborted) abort();
				signal?.addEventListener('abort', abort, { once: true });
			});
		}
	} satisfies RetryEnv & Record<string, unknown>;
	return env;
}

/** Resolves once the controller's state passes `test`. */
export function until<T>(observable: { subscribe(run: (state: T) => void): () => void }, test: (state: T) => boolean): Promise<void> {
	return new Promise((resolve) => {
		const stop = observable.subscribe((state) => {
			if (!test(state)) return;
			resolve();
			queueMicrotask(() => stop());
		});
	});
}

/**
 * A TCP proxy in front of the test server whose network can drop: `dropBlobAfter` cuts the next
 * content download after that many response bytes and goes offline (every connection closed, new
 * ones refused) until `online()`. `ranges` lists the Range header of each content request.
 */
export async function startFlakyProxy(target: string) {
	const { hostname, port } = new URL(target);
	const sockets = new Set<Socket>();
	const proxy = {
		url: '',
		offline: false,
		dropBlobAfter: null as number | null,
		ranges: [] as string[],
		goOffline() {
			proxy.offline = true;
			for (const s of sockets) s.destroy();
		},
		online() {
			proxy.offline = false;
		},
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				for (const s of sockets) s.destroy(); // idle keep-alive connections would hold close() for seconds
			})
	};
	const server = createServer((client) => {
		if (proxy.offline) return void client.destroy();
		const upstream = connect(Number(port), hostname);
		sockets.add(client).add(upstream);
		let watching = false;
		let forwarded = 0;
		client.on('data', (data) => {
			const text = data.toString('latin1');
			if (/^GET \/api\/v1\/shares\/[^/]+\/blob /m.test(text)) {
				proxy.ranges.push(/^range: *(.*)$/im.exec(text)?.[1]?.trim() ?? '');
				watching = proxy.dropBlobAfter !== null;
			}
			upstream.write(data);
		});
		upstream.on('data', (data) => {
			if (watching && proxy.dropBlobAfter !== null) {
				forwarded += data.byteLength;
				if (forwarded > proxy.dropBlobAfter) {
					proxy.dropBlobAfter = null;
					return proxy.goOffline();
				}
			}
			client.write(data);
		});
		const end = () => {
			client.destroy();
			upstream.destroy();
			sockets.delete(client);
			sockets.delete(upstream);
		};
		client.on('error', end).on('close', end);
		upstream.on('error', end).on('close', end);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return proxy;
}
