import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSealdrop, type RunningSealdrop } from '../../../server/start';
import { ApiClient } from '../../../src/lib/api/client';
import { inlineBackend } from '../../../src/lib/transfer/crypto-backend';
import { DownloadSession, openShare } from '../../../src/lib/transfer/download';
import { memoryPendingUploads } from '../../../src/lib/uploads/pending-uploads';
import type { RetryEnv } from '../../../src/lib/transfer/retry';
import { uploadShare } from '../../../src/lib/transfer/upload';
import { listeningConfig, tempDir } from '../../server/helpers';

/**
 * The download engine against a real server on 127.0.0.1, with the first ciphertext request
 * refused on the way (a fake fetch in front of the real one): the download waits as the retry
 * policy says, through an injected sleep that records the wait instead of waiting, then resumes.
 */
describe('download retries', () => {
	let dir: string;
	let server: RunningSealdrop;
	const realFetch = globalThis.fetch;

	beforeAll(async () => {
		dir = await tempDir();
		server = await startSealdrop(listeningConfig(dir));
	});
	afterEach(() => vi.unstubAllGlobals());
	afterAll(async () => {
		await server?.close();
		await rm(dir, { recursive: true, force: true });
	});

	/** A fetch that answers the first blob request with `refusal()`, and passes everything else on. */
	function fakeFetchRefusingFirstBlob(refusal: () => Response | Promise<Response>): { fetch: typeof fetch; blobRequests: () => number } {
		let blobs = 0;
		const fake: typeof fetch = async (input, init) => {
			if (new URL(input instanceof Request ? input.url : String(input)).pathname.endsWith('/blob') && blobs++ === 0) return refusal();
			return realFetch(input, init);
		};
		return { fetch: fake, blobRequests: () => blobs };
	}

	/** Records each requested wait and returns at once; random() is fixed so jitter is known. */
	function recordingEnv(random: number): { env: RetryEnv; waits: number[] } {
		const waits: number[] = [];
		return { waits, env: { random: () => random, now: () => Date.now(), sleep: async (ms) => void waits.push(ms) } };
	}

	async function downloadThrough(fake: typeof fetch, env: RetryEnv): Promise<{ got: Buffer; content: Buffer }> {
		const api = new ApiClient(server.url);
		const content = randomBytes(150_000);
		const file = new File([content], 'a.bin');
		const done = await uploadShare(
			{ files: [file], expiresIn: 3600, maxDownloads: 1 },
			{ api, config: await api.config(), crypto: inlineBackend, pending: memoryPendingUploads() }
		);
		const opened = await openShare(api, done.id, done.secret);
		const chunks: Uint8Array[] = [];
		const sink = { write: async (c: Uint8Array) => void chunks.push(c.slice()), close: async () => {}, abort: async () => {} };
		// The ciphertext is fetched by the crypto backend with the global fetch, as in the browser's worker.
		vi.stubGlobal('fetch', fake);
		await new DownloadSession(opened, { api, crypto: inlineBackend, retryEnv: env }).save(0, content.length, sink);
		return { got: Buffer.concat(chunks), content };
	}

	it('waits for the Retry-After of a 503 from a proxy (no JSON body), with jitter above it', async () => {
		const fake = fakeFetchRefusingFirstBlob(() => new Response('busy', { status: 503, headers: { 'Retry-After': '7' } }));
		const { env, waits } = recordingEnv(0.5);
		const { got, content } = await downloadThrough(fake.fetch, env);
		expect(got.equals(content)).toBe(true);
		expect(fake.blobRequests()).toBe(2);
		expect(waits).toEqual([7000 * 1.125]);
	});

	it('waits for the retryAfter of a 503 SERVER_BUSY body', async () => {
		const body = { error: { code: 'SERVER_BUSY', message: 'busy', details: { retryAfter: 3 } } };
		const fake = fakeFetchRefusingFirstBlob(() => Response.json(body, { status: 503, headers: { 'Retry-After': '3' } }));
		const { env, waits } = recordingEnv(0);
		const { got, content } = await downloadThrough(fake.fetch, env);
		expect(got.equals(content)).toBe(true);
		expect(waits).toEqual([3000]);
	});

	it('backs off with jitter after a network failure', async () => {
		const fake = fakeFetchRefusingFirstBlob(() => Promise.reject(new TypeError('fetch failed')));
		const { env, waits } = recordingEnv(0);
		const { got, content } = await downloadThrough(fake.fetch, env);
		expect(got.equals(content)).toBe(true);
		expect(waits).toEqual([250]); // half the first 500 ms step: the jitter's lower bound
	});
});
