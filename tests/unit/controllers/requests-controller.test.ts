import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../../src/lib/api/client';
import { ReceiveController } from '../../../src/lib/controllers/receive-controller';
import { canOpenSubmission, RequestsController, requestStatus } from '../../../src/lib/controllers/requests-controller';
import type { FileEntry } from '../../../src/lib/crypto';
import { memoryRequestStore } from '../../../src/lib/requests/request-store';
import { inlineBackend } from '../../../src/lib/transfer/crypto-backend';
import { deleteSubmission, openFileRequest, requestLink, submitFiles } from '../../../src/lib/transfer/requests';
import { memoryPendingUploads } from '../../../src/lib/uploads/pending-uploads';
import { collectingSink, gate, GatedBackend, randomFile, startTestServer, until, type TestServer } from './support';

const QUICK = { memoryKiB: 1024, passes: 1, parallelism: 1 };

describe('requests controller, against a real server', () => {
	let t: TestServer;
	beforeAll(async () => {
		t = await startTestServer({ SEALDROP_RATE_LIMIT_SUBMIT: 'off' });
	});
	afterAll(() => t.close());

	/** A requester's page: its own store, a receive controller saving into memory, key files kept. */
	function setup(store = memoryRequestStore(), streaming?: boolean) {
		const api = t.client();
		const sinks = new Map<string, ReturnType<typeof collectingSink>>();
		const receive = new ReceiveController({
			api,
			crypto: () => inlineBackend,
			chooseSaveTarget: async () => async (entry: FileEntry) => {
				const sink = collectingSink();
				sinks.set(entry.name, sink);
				return sink;
			},
			mediaWorker: async () => null,
			loadPdf: async () => async () => {
				throw new Error('no PDF here');
			}
		});
		const files: { name: string; text: string }[] = [];
		const controller = new RequestsController({
			api,
			loadConfig: async () => ({ ...(await api.config()), ...(streaming !== undefined && { streaming }) }),
			store,
			receive,
			saveFile: (name, text) => void files.push({ name, text }),
			keyFileKdf: QUICK
		});
		return { controller, receive, store, sinks, files };
	}

	/** A submitter with only the link. */
	async function submit(
		link: string,
		name: string,
		size: number,
		note?: string,
		backend: GatedBackend | typeof inlineBackend = inlineBackend
	) {
		const api = new ApiClient(t.url);
		const [path, fragment] = link.split('#');
		const opened = await openFileRequest(api, path!.split('/').at(-1)!, fragment!);
		const { file, bytes } = randomFile(name, size);
		const deps = { api, config: await api.config(), crypto: backend, pending: memoryPendingUploads() };
		await submitFiles(opened, [file], deps, note);
		return bytes;
	}

	it('creates a request, sees submissions arrive, reads, deletes and closes', async () => {
		const { controller, receive, store, sinks } = setup();
		await controller.init();
		expect(controller.state.requests).toEqual([]);
		expect(controller.state.canCreate).toBe(false);
		controller.set({ title: '  Receipts for March ', message: 'PDF please', maxSubmissions: 3 });
		expect(controller.state.canCreate).toBe(true);
		await controller.create();
		expect(controller.state.failure).toBeNull();
		const [view] = controller.state.requests!;
		expect(view!.request.title).toBe('Receipts for March');
		expect(view!.info).toMatchObject({ state: 'open', submissions: 0, maxSubmissions: 3 });
		expect(controller.state.created).toBe(view!.request.id);
		expect(await store.get(view!.request.id)).toBeDefined();
		expect(controller.state.form.title).toBe('');

		const link = requestLink(t.url, view!.request.id, view!.request.secret);
		const first = await submit(link, 'one.bin', 200_000, 'Here you are');
		const second = await submit(link, 'two.bin', 5000);
		await controller.refresh();
		expect(controller.state.requests![0]!.info).toMatchObject({ submissions: 2, submissionsLeft: 1 });

		await controller.toggle(view!.request.id);
		const subs = controller.state.open!.submissions!;
		expect(subs).toHaveLength(2);
		const sent = new Map([
			['one.bin', first],
			['two.bin', second]
		]);
		const idOf = new Map<string, string>();
		for (const sub of subs) {
			await controller.openSubmission(sub);
			expect(controller.state.viewing).toBe(sub.id);
			expect(receive.state.phase).toBe('ready');
			const [entry] = receive.state.files;
			idOf.set(entry!.name, sub.id);
			await receive.download(receive.state.files);
			await until(receive, (s) => s.phase === 'done');
			expect(sinks.get(entry!.name)!.bytes().equals(sent.get(entry!.name)!)).toBe(true);
		}
		expect([...idOf.keys()].sort()).toEqual(['one.bin', 'two.bin']);
		// The note is the submission's: read with the key too.
		await controller.openSubmission({ ...subs.find((s) => s.id === idOf.get('one.bin'))! });
		await receive.revealNote();
		expect(receive.state.note).toBe('Here you are');

		await controller.deleteSubmission(idOf.get('one.bin')!);
		expect(controller.state.open!.submissions!.map((s) => s.id)).toEqual([idOf.get('two.bin')]);
		await controller.close(view!.request.id);
		expect(controller.state.requests![0]!.info!.state).toBe('closed');
		await expect(submit(link, 'late.bin', 10)).rejects.toMatchObject({ code: 'REQUEST_CLOSED' });
		expect(controller.state.failure).toBeNull();
	});

	it('a failed action of a request is said of that request, not of the page', async () => {
		const { controller } = setup();
		await controller.init();
		controller.set({ title: 'Contracts' });
		await controller.create();
		controller.set({ title: 'Other' });
		await controller.create();
		const view = controller.state.requests!.find((v) => v.request.title === 'Contracts')!;
		const id = view.request.id;
		await submit(requestLink(t.url, id, view.request.secret), 'signed.pdf', 1000);
		await controller.toggle(id);
		const [sub] = controller.state.open!.submissions!;
		// Deleted meanwhile (another device): this delete fails, and says so in its request's entry.
		await deleteSubmission(t.client(), view.request, sub!.id);
		await controller.deleteSubmission(sub!.id);
		expect(controller.state).toMatchObject({ failure: { code: 'NOT_FOUND' }, failedAt: `delete:${sub!.id}`, failedFor: id });
		// The next action starts clean.
		await controller.close(id);
		expect(controller.state).toMatchObject({ failure: null, failedAt: null, failedFor: null });
	});

	it('shows a request full and a submission still uploading, which opens while it uploads only on a server that streams', async () => {
		const { controller, receive } = setup();
		await controller.init();
		controller.set({ title: 'One only', maxSubmissions: 1 });
		await controller.create();
		const view = controller.state.requests![0]!;
		const id = view.request.id;
		expect(requestStatus(view)).toBe('open');
		const backend = new GatedBackend();
		const held = gate();
		backend.hold = { part: 0, gate: held };
		const sending = submit(requestLink(t.url, id, view.request.secret), 'big.bin', 5000, undefined, backend);
		await held.reached.promise;
		await controller.refresh();
		expect(requestStatus(controller.state.requests![0]!)).toBe('full');
		await controller.toggle(id);
		const [sub] = controller.state.open!.submissions!;
		expect(sub!.state).toBe('uploading');
		expect(controller.state.config?.streaming).toBe(true);
		expect(canOpenSubmission(sub!, controller.state.config)).toBe(true);
		await controller.openSubmission(sub!);
		expect(controller.state.failure).toBeNull();
		expect(receive.state.phase).toBe('ready');
		expect(receive.state.sender).toMatchObject({ received: 0 });

		// A server that does not stream (S3): not opened, and said in its request.
		const s3 = setup(memoryRequestStore(), false);
		await s3.store.save(view.request);
		await s3.controller.init();
		await s3.controller.toggle(id);
		const [uploading] = s3.controller.state.open!.submissions!;
		expect(canOpenSubmission(uploading!, s3.controller.state.config)).toBe(false);
		await s3.controller.openSubmission(uploading!);
		expect(s3.controller.state).toMatchObject({ failure: { code: 'NOT_READY' }, failedFor: id, viewing: null });

		held.release.resolve();
		await sending;
		await s3.controller.refresh();
		const [ready] = s3.controller.state.open!.submissions!;
		expect(ready!.state).toBe('ready');
		expect(canOpenSubmission(ready!, s3.controller.state.config)).toBe(true);
		await controller.close(id);
		expect(requestStatus(controller.state.requests![0]!)).toBe('closed');
	});

	it('moves a request to another browser with a key file; a wrong passphrase says so', async () => {
		const here = setup();
		await here.controller.init();
		here.controller.set({ title: 'Logs' });
		await here.controller.create();
		const { request } = here.controller.state.requests![0]!;
		const bytes = await submit(requestLink(t.url, request.id, request.secret), 'log.txt', 3000);
		expect(await here.controller.exportKey(request.id, 'moving day')).toBe(true);
		expect(here.files.map((f) => f.name)).toEqual([`sealdrop-request-${request.id}.json`]);

		const there = setup();
		await there.controller.init();
		expect(await there.controller.importKey(here.files[0]!.text, 'moving daze')).toBe(false);
		expect(there.controller.state.failure?.code).toBe('WRONG_PASSPHRASE');
		expect(there.controller.state.failedAt).toBe('import');
		expect(there.controller.state.requests).toEqual([]);
		expect(await there.controller.importKey('{"not":"a key"}', 'x')).toBe(false);
		expect(there.controller.state.failure?.code).toBe('BAD_KEY_FILE');

		expect(await there.controller.importKey(here.files[0]!.text, 'moving day')).toBe(true);
		expect(there.controller.state.failure).toBeNull();
		expect(there.controller.state.imported).toBe(request.id);
		expect(there.controller.state.requests![0]).toMatchObject({ request: { title: 'Logs' }, info: { submissions: 1 } });
		await there.controller.toggle(request.id);
		await there.controller.openSubmission(there.controller.state.open!.submissions![0]!);
		await there.receive.download(there.receive.state.files);
		await until(there.receive, (s) => s.phase === 'done');
		expect(there.sinks.get('log.txt')!.bytes().equals(bytes)).toBe(true);
	});

	it('a restricted server asks for an account before a request can be made', async () => {
		const r = await startTestServer({ SEALDROP_UPLOAD_ACCESS: 'restricted' });
		try {
			const api = r.client();
			const controller = new RequestsController({
				api,
				loadConfig: () => api.config(),
				store: memoryRequestStore(),
				receive: { load: async () => {} },
				saveFile: () => {}
			});
			await controller.init();
			expect(controller.state.signedOut).toBe(true);
			controller.set({ title: 'Anything' });
			expect(controller.state.canCreate).toBe(false);
		} finally {
			await r.close();
		}
	});
});
