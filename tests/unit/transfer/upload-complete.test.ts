import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSealdrop, type RunningSealdrop } from '../../../server/start';
import { ApiClient } from '../../../src/lib/api/client';
import { inlineBackend } from '../../../src/lib/transfer/crypto-backend';
import { DownloadSession, openShare } from '../../../src/lib/transfer/download';
import { memoryPendingUploads } from '../../../src/lib/uploads/pending-uploads';
import { resumeUpload, runUpload, startUpload, uploadShare, type UploadDeps } from '../../../src/lib/transfer/upload';
import { listeningConfig, tempDir } from '../../server/helpers';

/**
 * The upload engine against a real server on 127.0.0.1, with the answer to `complete` lost on
 * the way back: the server completed the share, the client saw a network error and retried.
 */
describe('an upload whose complete answer is lost', () => {
	let dir: string;
	let server: RunningSealdrop;
	/** Completes that reached the server; the next one's answer is dropped while the flag is set. */
	let completes = 0;
	let dropNextComplete = false;

	beforeAll(async () => {
		dir = await tempDir();
		server = await startSealdrop(listeningConfig(dir));
	});
	afterAll(async () => {
		await server?.close();
		await rm(dir, { recursive: true, force: true });
	});

	/** A fetch that performs the request, then loses the answer of the first complete it sees. */
	const lossyFetch: typeof fetch = async (input, init) => {
		const response = await fetch(input, init);
		if (init?.method === 'POST' && new URL(String(input)).pathname.endsWith('/complete')) {
			completes++;
			if (dropNextComplete) {
				dropNextComplete = false;
				await response.arrayBuffer(); // the server answered; the answer never arrives
				throw new TypeError('fetch failed');
			}
		}
		return response;
	};

	/** Performs complete, then fails in a way the engine does not retry (the page went away). */
	const abortingComplete: typeof fetch = async (input, init) => {
		const response = await fetch(input, init);
		if (new URL(String(input)).pathname.endsWith('/complete')) return new Response('gone', { status: 418 });
		return response;
	};

	const file = (name: string, bytes: Uint8Array) => new File([bytes as Uint8Array<ArrayBuffer>], name);

	async function depsFor(): Promise<UploadDeps> {
		const api = new ApiClient(server.url, lossyFetch);
		return { api, config: await api.config(), crypto: inlineBackend, pending: memoryPendingUploads() };
	}

	async function downloaded(deps: UploadDeps, id: string, secret: string, size: number): Promise<Buffer> {
		const opened = await openShare(deps.api, id, secret);
		const chunks: Uint8Array[] = [];
		const sink = { write: async (c: Uint8Array) => void chunks.push(c.slice()), close: async () => {}, abort: async () => {} };
		await new DownloadSession(opened, { api: deps.api, crypto: inlineBackend }).save(0, size, sink);
		return Buffer.concat(chunks);
	}

	it('reports success with the expiry and limit the server holds, and the share downloads', async () => {
		const deps = await depsFor();
		const content = randomBytes(100_000);
		completes = 0;
		dropNextComplete = true;
		const done = await uploadShare({ files: [file('a.bin', content)], expiresIn: 3600, maxDownloads: 2 }, deps);
		expect(completes).toBe(2); // the lost one and the retry that met 409 ALREADY_COMPLETE

		const info = await deps.api.info(done.id);
		expect(done).toMatchObject({ id: info.id, expiresAt: info.expiresAt, maxDownloads: 2, size: content.length });
		expect(done.expiresAt).toBeGreaterThan(Date.now());
		expect(await deps.pending.get(done.id)).toBeUndefined();
		expect((await downloaded(deps, done.id, done.secret, content.length)).equals(content)).toBe(true);
	});

	it('a resumed upload that finds the share already complete reports the real expiry', async () => {
		const deps = await depsFor();
		const content = randomBytes(30_000);
		const files = [file('b.bin', content)];
		const job = await startUpload({ files, expiresIn: 3600, maxDownloads: 1 }, deps);
		// Parts sent and complete reached the server, but its answer was lost and the tab closed.
		await expect(runUpload(job, { ...deps, api: new ApiClient(server.url, abortingComplete) })).rejects.toMatchObject({
			code: 'BAD_RESPONSE'
		});
		expect(await deps.pending.get(job.pending.id)).toBeDefined();

		const resumed = await resumeUpload(job.pending, files);
		const done = await runUpload(resumed!, deps);
		const info = await deps.api.info(done.id);
		expect(done.expiresAt).toBe(info.expiresAt);
		expect(done.maxDownloads).toBe(1);
		expect((await downloaded(deps, done.id, done.secret, content.length)).equals(content)).toBe(true);
	});
});
