import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ReceiveController } from '../../../src/lib/controllers/receive-controller';
import type { FileEntry } from '../../../src/lib/crypto';
import { inlineBackend } from '../../../src/lib/transfer/crypto-backend';
import { DownloadSession, openShare } from '../../../src/lib/transfer/download';
import { DEFAULT_RETRY, type RetryEnv } from '../../../src/lib/transfer/retry';
import { runUpload, startUpload } from '../../../src/lib/transfer/upload';
import { memoryPendingUploads } from '../../../src/lib/uploads/pending-uploads';
import { collectingSink, fastKdf, gate, GatedBackend, randomFile, startTestServer, testRetryEnv, until, type TestServer } from './support';

/**
 * Reading a share while it uploads, against a real server whose reads wait only 50 ms for a part
 * (docs/API.md "Reading a share that is still uploading"): the `425 NOT_YET_UPLOADED` answers and
 * the bodies cut for a missing part come many times a second, as they would every 25 s.
 */
describe('a download following an upload that pauses', () => {
	let t: TestServer;
	// Cuts a body after a second without the next part: long enough for the bytes already written
	// to reach the client before the cut even on a loaded machine (a destroyed socket drops them).
	let cutting: TestServer;
	const realFetch = globalThis.fetch;
	beforeAll(async () => {
		t = await startTestServer({}, { waitMs: 50, pollMs: 10 });
		cutting = await startTestServer({}, { waitMs: 1000, pollMs: 1000 });
	});
	afterEach(() => vi.unstubAllGlobals());
	afterAll(async () => {
		await t.close();
		await cutting.close();
	});

	/**
	 * An upload of four one-record parts whose part 2 is held until `release`; counts the blob
	 * answers (the crypto backend reads ranges with the global fetch, as the browser's worker does).
	 */
	async function pausedUpload(server = t) {
		const api = server.client();
		const uploader = new GatedBackend();
		const held = gate();
		uploader.hold = { part: 2, gate: held };
		const { file, bytes } = randomFile('live.bin', 4 * 65536);
		const deps = { api, config: await api.config(), crypto: uploader, pending: memoryPendingUploads(), passwordKdf: fastKdf };
		const job = await startUpload({ files: [file], expiresIn: 3600, maxDownloads: 1 }, deps);
		const uploading = runUpload(job, deps);
		await held.reached.promise;
		const answers = { notYet: 0, ok: 0 };
		let onNotYet = () => {};
		vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
			const response = await realFetch(input, init);
			if (new URL(input instanceof Request ? input.url : String(input)).pathname.endsWith('/blob')) {
				if (response.status === 425) {
					answers.notYet++;
					onNotYet();
				} else answers.ok++;
			}
			return response;
		});
		const release = async () => {
			held.release.resolve();
			await uploading;
		};
		return { job, bytes, answers, release, whenNotYet: (run: () => void) => (onNotYet = run) };
	}

	/** The recipient's page logic; saves land in memory, one sink per file. */
	function receiver(server = t) {
		const sinks = new Map<string, ReturnType<typeof collectingSink>>();
		let asked = 0;
		const controller = new ReceiveController({
			api: server.client(),
			crypto: () => inlineBackend,
			passwordKdf: fastKdf,
			retryEnv: testRetryEnv(),
			chooseSaveTarget: async () => {
				asked++;
				return async (entry: FileEntry) => {
					const sink = collectingSink();
					sinks.set(entry.name, sink);
					return sink;
				};
			},
			mediaWorker: async () => null,
			loadPdf: async () => async () => {
				throw new Error('no PDF here');
			}
		});
		return { controller, sinks, asked: () => asked };
	}

	it('asks again at once on 425 NOT_YET_UPLOADED, more often than the retry budget, with no wait and no failure counted', async () => {
		const { job, bytes, answers, release, whenNotYet } = await pausedUpload();
		// More 425s than the budget allows failures: each one must cost none.
		const many = DEFAULT_RETRY.attempts + 2;
		const released = new Promise<void>((resolve) =>
			whenNotYet(() => {
				if (answers.notYet === many) void release().then(resolve);
			})
		);
		const api = t.client();
		const opened = await openShare(api, job.pending.id, job.pending.secret);
		expect(opened.info.state).toBe('uploading');
		const waits: number[] = [];
		const retried: unknown[] = [];
		const env: RetryEnv = { random: () => 0.5, now: () => Date.now(), sleep: async (ms) => void waits.push(ms) };
		const sink = collectingSink();
		// From record 2, the part still held: every read is answered 425 until it comes.
		await new DownloadSession(opened, { api, crypto: inlineBackend, retryEnv: env, onRetry: (err) => retried.push(err) }).save(
			2 * 65536,
			4 * 65536,
			sink
		);
		await released;
		expect(answers.notYet).toBeGreaterThanOrEqual(many);
		expect(sink.bytes().equals(bytes.subarray(2 * 65536))).toBe(true);
		expect(waits).toEqual([]);
		expect(retried).toEqual([]);
	});

	it('a body cut because the next part did not come in time: the page waits for the sender, never for the network', async () => {
		const { job, bytes, answers, release, whenNotYet } = await pausedUpload(cutting);
		// The first 425 comes from the read resumed after the cut: the sender may go on then.
		const released = new Promise<void>((resolve) => whenNotYet(() => void release().then(resolve)));
		let sawWaiting = false;
		const { controller, sinks } = receiver(cutting);
		controller.subscribe((state) => (sawWaiting ||= state.waiting));
		await controller.load(job.pending.id, job.pending.secret);
		expect(controller.state.sender).not.toBeNull();
		await controller.download(controller.state.files);
		await released;
		expect(controller.state.phase).toBe('done');
		expect(controller.state.failure).toBeNull();
		// One answered read cut after parts 0 and 1, then 425s until part 2, then the rest.
		expect(answers.ok).toBeGreaterThanOrEqual(2);
		expect(answers.notYet).toBeGreaterThanOrEqual(1);
		expect(sawWaiting).toBe(false);
		expect(sinks.get('live.bin')!.bytes().equals(bytes)).toBe(true);
	});

	it('an upload its sender deletes: UPLOAD_ABANDONED, nothing to continue, and no download offered any more', async () => {
		const { job, release } = await pausedUpload();
		const { controller, sinks, asked } = receiver();
		await controller.load(job.pending.id, job.pending.secret);
		const saving = controller.download(controller.state.files);
		await until(controller, (s) => (s.progress?.done ?? 0) >= 2 * 65536);
		await t.client().deleteShare(job.pending.id, job.pending.ownerToken);
		await saving;
		expect(controller.state.failure?.code).toBe('UPLOAD_ABANDONED');
		expect(controller.state).toMatchObject({ phase: 'ready', abandoned: true, stopped: null, sender: null });
		expect(sinks.get('live.bin')!.aborted).toBe(true);
		// The page offers no Download; a click that still arrives asks nothing and spends nothing.
		await controller.download(controller.state.files);
		expect(asked()).toBe(1);
		await release().catch(() => {}); // the sender's held part now meets a deleted share
	});
});
