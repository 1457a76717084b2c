import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestOptions } from '../../../src/lib/api/client';
import type { PublicRequestInfo } from '../../../src/lib/api/types';
import { SubmitController } from '../../../src/lib/controllers/submit-controller';
import { generateRequestKeyPair, toBase64Url } from '../../../src/lib/crypto';
import { inlineBackend } from '../../../src/lib/transfer/crypto-backend';
import { DownloadSession } from '../../../src/lib/transfer/download';
import {
	closeFileRequest,
	createFileRequest,
	listSubmissions,
	openSubmission,
	type CreatedRequest
} from '../../../src/lib/transfer/requests';
import { memoryPendingUploads, type PendingUploadStore } from '../../../src/lib/uploads/pending-uploads';
import { file, gate, GatedApi, GatedBackend, onlineEvents, randomFile, startTestServer, until, type TestServer } from './support';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A server that serves another key than the one the link's tag vouches for (a swapped key). */
class SwappingApi extends GatedApi {
	swapTo: Uint8Array | null = null;
	/** Limits that differ from the server's (a stale page, or a lying one): the server still decides. */
	claimBytes: number | null = null;
	override async requestInfo(id: string, opts?: RequestOptions): Promise<PublicRequestInfo> {
		const info = await super.requestInfo(id, opts);
		return {
			...info,
			...(this.swapTo && { publicKey: toBase64Url(this.swapTo) }),
			...(this.claimBytes !== null && { maxSubmissionBytes: this.claimBytes })
		};
	}
}

describe('submit controller (a request link), against a real server', () => {
	let t: TestServer;
	beforeAll(async () => {
		t = await startTestServer({ SEALDROP_RATE_LIMIT_SUBMIT: 'off' });
	});
	afterAll(() => t.close());

	const newRequest = (limits: { maxSubmissions?: number; maxSubmissionBytes?: number } = {}) =>
		createFileRequest(t.client(), {
			title: 'Receipts for March',
			message: 'One PDF per receipt, please.',
			expiresIn: 86400,
			maxSubmissions: limits.maxSubmissions ?? 5,
			maxSubmissionBytes: limits.maxSubmissionBytes ?? 1024 * 1024
		});

	function setup(
		options: { api?: SwappingApi; pending?: PendingUploadStore; backend?: GatedBackend; online?: (listener: () => void) => () => void } = {}
	) {
		const api = options.api ?? new SwappingApi(t.url);
		const backend = options.backend ?? new GatedBackend();
		const controller = new SubmitController({
			api,
			loadConfig: () => api.config(),
			crypto: () => backend,
			pending: options.pending ?? memoryPendingUploads(),
			parallel: 1,
			now: () => 1_900_000_000_000,
			online: options.online
		});
		return { api, backend, controller };
	}

	/** The requester's view: the live submissions, each decrypted whole. */
	async function received(created: CreatedRequest): Promise<Buffer[]> {
		const api = t.client();
		const out: Buffer[] = [];
		for (const submission of await listSubmissions(api, created)) {
			const opened = await openSubmission(api, created.keys, submission);
			const chunks: Uint8Array[] = [];
			const sink = { write: async (c: Uint8Array) => void chunks.push(c.slice()), close: async () => {}, abort: async () => {} };
			await new DownloadSession(opened, { api, crypto: inlineBackend }).save(0, opened.layout.plainSize, sink);
			out.push(Buffer.concat(chunks));
		}
		return out;
	}

	it('shows the request, sends two files and a note sealed to the requester, and keeps only a receipt', async () => {
		const created = await newRequest();
		const { controller, api } = setup();
		await controller.open(created.id, created.secret);
		expect(controller.state).toMatchObject({
			phase: 'open',
			failure: null,
			request: { title: 'Receipts for March', message: 'One PDF per receipt, please.', maxSubmissions: 5, submissionsLeft: 5 }
		});
		expect(controller.state.request?.expiresAt).toBe(created.info.expiresAt);
		// No account is asked for: submitting needs none, also on a restricted server.
		expect(api.requests().filter((r) => r.includes('/me'))).toEqual([]);

		const upload = controller.state.upload!;
		expect(upload.state).toMatchObject({ submissionMaxBytes: 1024 * 1024, remember: false, canStart: false });
		const a = randomFile('a.bin', 70_000);
		const b = randomFile('b.txt', 10);
		upload.add([a.file, b.file]);
		upload.set({ note: 'Both receipts.' });
		await upload.start();

		expect(controller.state.phase).toBe('sent');
		const [receipt] = controller.state.receipts;
		expect(receipt).toEqual({
			requestId: created.id,
			id: expect.any(String) as string,
			size: 70_010 + 'Both receipts.'.length,
			files: 2,
			hasNote: true,
			sentAt: 1_900_000_000_000
		});
		expect(controller.state.request?.submissionsLeft).toBe(4);
		// Nothing that could read it back is kept: the upload's result (secret, tokens) is gone.
		expect(upload.state).toMatchObject({ phase: 'pick', result: null, files: [], note: '' });

		const [submission] = await listSubmissions(t.client(), created);
		expect(submission?.id).toBe(receipt?.id);
		const [plain] = await received(created);
		expect(sha(plain!)).toBe(sha(Buffer.concat([a.bytes, b.bytes, Buffer.from('Both receipts.')])));

		controller.another();
		expect(controller.state.phase).toBe('open');
		controller.destroy();
	});

	it('a request not read for a network failure: Retry opens it, and so does the browser coming back online', async () => {
		const created = await newRequest();
		let offline = true;
		const api = new SwappingApi(t.url, (input, init) => (offline ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init)));
		const online = onlineEvents();
		const { controller } = setup({ api, online: online.subscribe });
		await controller.open(created.id, created.secret);
		expect(controller.state).toMatchObject({ phase: 'unavailable', retryable: true, failure: { code: 'NETWORK' }, upload: null });

		// Retry while still offline: said again, still retryable.
		await controller.retry();
		expect(controller.state).toMatchObject({ phase: 'unavailable', retryable: true, failure: { code: 'NETWORK' } });

		offline = false;
		await controller.retry();
		expect(controller.state).toMatchObject({ phase: 'open', retryable: false, failure: null, request: { title: 'Receipts for March' } });
		controller.destroy();

		// The browser's online event opens it without a click.
		offline = true;
		const second = setup({ api, online: online.subscribe }).controller;
		await second.open(created.id, created.secret);
		expect(second.state.retryable).toBe(true);
		offline = false;
		online.fire();
		await until(second, (s) => s.phase === 'open');
		expect(second.state.failure).toBeNull();
		second.destroy();

		// A refusal is not a network failure: nothing to retry.
		const gone = setup().controller;
		await gone.open('A'.repeat(22), created.secret);
		expect(gone.state).toMatchObject({ phase: 'unavailable', retryable: false, failure: { code: 'REQUEST_NOT_FOUND' } });
	});

	it('refuses a swapped public key before anything is made or sent', async () => {
		const created = await newRequest();
		const api = new SwappingApi(t.url);
		api.swapTo = (await generateRequestKeyPair()).publicKey;
		const { controller } = setup({ api });
		await controller.open(created.id, created.secret);
		expect(controller.state).toMatchObject({ phase: 'unavailable', upload: null, failure: { code: 'REQUEST_KEY_MISMATCH' } });
		expect(api.requests()).toEqual([`GET /api/v1/requests/${created.id}`]);
		expect(await listSubmissions(t.client(), created)).toEqual([]);
	});

	it('says why a request takes nothing: damaged link, not found, expired, closed, full', async () => {
		const created = await newRequest({ maxSubmissions: 1 });
		const open = async (id: string, secret: string) => {
			const { controller, api } = setup();
			await controller.open(id, secret);
			return { state: controller.state, requests: api.requests() };
		};
		// A damaged link is refused before any request.
		expect(await open(created.id, created.secret.slice(1))).toMatchObject({ state: { failure: { code: 'BAD_SECRET' } }, requests: [] });
		expect((await open('A'.repeat(22), created.secret)).state).toMatchObject({
			phase: 'unavailable',
			failure: { code: 'REQUEST_NOT_FOUND' }
		});
		expect((await open('bad', created.secret)).state).toMatchObject({ phase: 'unavailable', failure: { code: 'REQUEST_NOT_FOUND' } });

		const first = setup().controller;
		await first.open(created.id, created.secret);
		first.state.upload!.add([file('x.txt', new Uint8Array([1, 2, 3]))]);
		await first.state.upload!.start();
		expect(first.state.phase).toBe('sent');
		expect((await open(created.id, created.secret)).state).toMatchObject({ phase: 'unavailable', failure: { code: 'REQUEST_FULL' } });

		const closing = await newRequest();
		await closeFileRequest(t.client(), closing);
		expect((await open(closing.id, closing.secret)).state).toMatchObject({ phase: 'unavailable', failure: { code: 'REQUEST_CLOSED' } });

		const expiring = await newRequest();
		t.clock.advance(86_401_000);
		expect((await open(expiring.id, expiring.secret)).state).toMatchObject({ phase: 'unavailable', failure: { code: 'REQUEST_EXPIRED' } });
	});

	it('the last slot taken meanwhile: the create is refused, said, and the form goes', async () => {
		const created = await newRequest({ maxSubmissions: 1 });
		const late = setup().controller;
		await late.open(created.id, created.secret);
		const early = setup().controller;
		await early.open(created.id, created.secret);
		early.state.upload!.add([file('x.txt', new Uint8Array([1]))]);
		await early.state.upload!.start();

		late.state.upload!.add([file('y.txt', new Uint8Array([2]))]);
		await late.state.upload!.start();
		expect(late.state).toMatchObject({ phase: 'unavailable', failure: { code: 'REQUEST_FULL' } });
		expect(await listSubmissions(t.client(), created)).toHaveLength(1);
	});

	it('over the size: refused before anything is made; a server with a smaller limit refuses the create', async () => {
		const created = await newRequest({ maxSubmissionBytes: 2000 });
		const { controller, api } = setup();
		await controller.open(created.id, created.secret);
		const upload = controller.state.upload!;
		// 1984 bytes of files and note are 2000 of ciphertext (one record's tag): just within.
		upload.add([file('a.bin', new Uint8Array(1980))]);
		upload.set({ note: 'four' });
		expect(upload.state).toMatchObject({ tooLarge: false, canStart: true });
		upload.set({ note: 'five!' });
		expect(upload.state).toMatchObject({ tooLarge: true, canStart: false });
		await upload.start();
		expect(upload.state).toMatchObject({ phase: 'pick', failure: { code: 'SUBMISSION_TOO_LARGE' } });
		expect(controller.state.failure).toMatchObject({ code: 'SUBMISSION_TOO_LARGE' });
		expect(api.requests().filter((r) => r.startsWith('POST'))).toEqual([]);

		const lying = new SwappingApi(t.url);
		lying.claimBytes = 1024 * 1024;
		const other = setup({ api: lying }).controller;
		await other.open(created.id, created.secret);
		other.state.upload!.add([file('b.bin', new Uint8Array(5000))]);
		await other.state.upload!.start();
		expect(other.state).toMatchObject({ phase: 'open', failure: { code: 'SUBMISSION_TOO_LARGE' } });
		expect(await listSubmissions(t.client(), created)).toEqual([]);
	});

	it('an interrupted submission is offered again on its request page, sends only the missing parts, and gives a receipt', async () => {
		const created = await newRequest({ maxSubmissions: 1 });
		const pending = memoryPendingUploads();
		const backend = new GatedBackend();
		const first = setup({ pending, backend }).controller;
		await first.open(created.id, created.secret);
		const big = randomFile('big.bin', 5 * 65536);
		const upload = first.state.upload!;
		upload.add([big.file]);
		const held = gate();
		backend.hold = { part: 2, gate: held };
		const started = upload.start();
		await held.reached.promise;
		upload.pause(); // the tab closes
		await started;
		expect(backend.sent).toEqual([0, 1]);

		// Reloaded: the only slot is this upload's, so the request is full, but its own upload can finish.
		const again = new GatedBackend();
		const second = setup({ pending, backend: again }).controller;
		await second.open(created.id, created.secret);
		expect(second.state).toMatchObject({ phase: 'open', refusal: { code: 'REQUEST_FULL' } });
		const resumed = second.state.upload!;
		expect(resumed.state.interrupted.map((u) => u.requestId)).toEqual([created.id]);
		// The upload page shows no submission to resume (it resumes shares only).
		const elsewhere = new (await import('../../../src/lib/controllers/upload-controller')).UploadController({
			api: t.client(),
			loadConfig: () => t.client().config(),
			crypto: () => again,
			pending,
			myUploads: { save: async () => {}, get: async () => undefined, list: async () => [], forget: async () => {} }
		});
		await elsewhere.init();
		expect(elsewhere.state.interrupted).toEqual([]);

		const interrupted = resumed.state.interrupted[0]!;
		await resumed.resumeInterrupted(interrupted, [big.file]);
		await until(second, (s) => s.phase === 'sent');
		expect(interrupted.parts).toBeGreaterThan(3);
		expect(again.sent.sort((x, y) => x - y)).toEqual(Array.from({ length: interrupted.parts - 2 }, (_, i) => i + 2));
		expect(await pending.list()).toEqual([]);
		const [plain] = await received(created);
		expect(sha(plain!)).toBe(sha(big.bytes));
	});

	it('a rate-limited server: the refusal is said and nothing is stored', async () => {
		const limited = await startTestServer({ SEALDROP_RATE_LIMIT_SUBMIT: '1/600' });
		try {
			const api = new SwappingApi(limited.url);
			const created = await createFileRequest(api, {
				title: 'Logs',
				message: '',
				expiresIn: 86400,
				maxSubmissions: 5,
				maxSubmissionBytes: 1024 * 1024
			});
			const submit = async () => {
				const controller = new SubmitController({
					api,
					loadConfig: () => api.config(),
					crypto: () => inlineBackend,
					pending: memoryPendingUploads()
				});
				await controller.open(created.id, created.secret);
				controller.state.upload!.add([file('x.txt', new Uint8Array([7]))]);
				await controller.state.upload!.start();
				return controller.state;
			};
			expect((await submit()).phase).toBe('sent');
			expect(await submit()).toMatchObject({ phase: 'open', failure: { code: 'RATE_LIMITED' } });
			expect(await listSubmissions(api, created)).toHaveLength(1);
		} finally {
			await limited.close();
		}
	});
});
