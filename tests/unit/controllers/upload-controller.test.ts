import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/lib/api/client';
import { UploadController } from '../../../src/lib/controllers/upload-controller';
import { MAX_NOTE_LENGTH } from '../../../src/lib/crypto';
import { memoryPendingUploads, type PendingUploadStore } from '../../../src/lib/uploads/pending-uploads';
import { DEFAULT_RETRY, type RetryEnv } from '../../../src/lib/transfer/retry';
import { startUpload } from '../../../src/lib/transfer/upload';
import { FolderError, pathOf } from '../../../src/lib/folders';
import { openShare } from '../../../src/lib/transfer/download';
import {
	deferred,
	fastKdf,
	file,
	gate,
	GatedApi,
	GatedBackend,
	memoryMyUploads,
	onlineEvents,
	randomFile,
	readShare,
	record,
	shareStatus,
	startTestServer,
	testRetryEnv,
	until,
	type TestServer
} from './support';

const PART_PLAIN = 65536;

describe('upload controller, against a real server', () => {
	let t: TestServer;
	beforeAll(async () => {
		t = await startTestServer();
	});
	afterAll(() => t.close());

	/** A controller with its own client, backend and stores; parts one at a time, so a hold is exact. */
	async function setup(
		options: {
			failingStorage?: boolean;
			pending?: PendingUploadStore;
			api?: GatedApi;
			online?: (listener: () => void) => () => void;
			retryEnv?: RetryEnv;
		} = {}
	) {
		const api = options.api ?? t.client();
		const backend = new GatedBackend();
		const pending = options.pending ?? memoryPendingUploads();
		const myUploads = memoryMyUploads(options.failingStorage);
		const controller = new UploadController({
			api,
			loadConfig: () => api.config(),
			crypto: () => backend,
			pending,
			myUploads,
			passwordKdf: fastKdf,
			parallel: 1,
			now: () => 1_800_000_000_000,
			online: options.online,
			retryEnv: options.retryEnv
		});
		await controller.init();
		return { api, backend, pending, myUploads, controller, phases: record(controller) };
	}

	it('an empty folder or an unreadable entry adds nothing, says which, and no share is made', async () => {
		const { controller, api } = await setup();
		await controller.addFrom(Promise.reject(new FolderError('FOLDER_EMPTY', 'photos')));
		expect(controller.state.failure).toMatchObject({ code: 'FOLDER_EMPTY', cause: { path: 'photos' } });
		expect(controller.state.files).toEqual([]);

		// A folder passed as a file, or a file gone since it was chosen: the browser cannot read it.
		class Gone extends File {
			override slice(): Blob {
				return {
					arrayBuffer: () => Promise.reject(new DOMException('A requested file or directory could not be found', 'NotFoundError'))
				} as Blob;
			}
		}
		await controller.addFrom(Promise.resolve([randomFile('ok.bin', 10).file, new Gone([new Uint8Array(4096)], 'docs')]));
		expect(controller.state.failure).toMatchObject({ code: 'ENTRY_UNREADABLE', cause: { path: 'docs' } });
		expect(controller.state.files).toEqual([]);

		await controller.start();
		expect(controller.state.failure?.code).toBe('NOTHING_TO_SEND');
		expect(controller.state.phase).toBe('pick');
		expect(api.requests().filter((r) => r.startsWith('POST'))).toEqual([]);
	});

	it('sends the files of a folder under their paths', async () => {
		const { controller, pending, api } = await setup();
		const inFolder = (path: string, text: string) => {
			const f = new File([text], path.split('/').at(-1)!);
			Object.defineProperty(f, 'webkitRelativePath', { value: path }); // as a folder picker sets it
			return f;
		};
		const files = [inFolder('docs/sub/x.txt', 'x'), inFolder('docs/y.txt', 'yy')];
		await controller.addFrom(Promise.resolve(files));
		expect(controller.state.files.map(pathOf)).toEqual(['docs/sub/x.txt', 'docs/y.txt']);
		await controller.start();
		expect(controller.state.phase).toBe('done');
		expect(await pending.list()).toEqual([]);
		const { id, secret } = controller.state.result!;
		const share = await openShare(api, id, secret, { passwordKdf: fastKdf });
		expect(share.metadata.files.map((f) => f.name)).toEqual(['docs/sub/x.txt', 'docs/y.txt']);
	});

	it('reads the server limits and preselects its defaults', async () => {
		const { controller, api } = await setup();
		const config = await api.config();
		expect(controller.state.config).toEqual(config);
		expect(controller.state.expiries).toEqual(config.expiry.options);
		expect(controller.state.expiresIn).toBe(config.expiry.default);
		expect(controller.state.maxDownloads).toBe(config.downloads.default);
		expect(controller.state.restricted).toBe(false);
		expect(controller.state.signedOut).toBe(false);
		expect(controller.state.failure).toBeNull();
	});

	it('in restricted mode says that nobody is signed in, so the page shows a way to log in instead of the form', async () => {
		const restricted = await startTestServer({ SEALDROP_UPLOAD_ACCESS: 'restricted' });
		try {
			const api = restricted.client();
			const controller = new UploadController({
				api,
				loadConfig: () => api.config(),
				crypto: () => new GatedBackend(),
				pending: memoryPendingUploads(),
				myUploads: memoryMyUploads(),
				passwordKdf: fastKdf
			});
			expect(controller.state.signedOut).toBe(false); // not known before the server answers
			await controller.init();
			expect(controller.state).toMatchObject({ restricted: true, account: null, signedOut: true, failure: null });
		} finally {
			await restricted.close();
		}
	});

	it('refuses to start with nothing to send, and with more than the server accepts', async () => {
		const { controller, api } = await setup();
		expect(controller.state.canStart).toBe(false);
		await controller.start();
		expect(controller.state.phase).toBe('pick');
		expect(controller.state.failure?.code).toBe('NOTHING_TO_SEND');
		expect(api.requests().filter((r) => r.startsWith('POST'))).toEqual([]);

		controller.add([randomFile().file]);
		expect(controller.state.failure).toBeNull();
		expect(controller.state.canStart).toBe(true);
		const huge = { size: controller.state.config!.maxShareBytes + 1, name: 'huge.bin' } as File;
		controller.add([huge]);
		expect(controller.state.tooLarge).toBe(true);
		expect(controller.state.canStart).toBe(false);
		controller.remove(1);
		expect(controller.state.canStart).toBe(true);
	});

	it('pasted text joins the note, up to its limit', async () => {
		const { controller } = await setup();
		controller.pasteText('first');
		controller.pasteText('second');
		expect(controller.state.note).toBe('first\nsecond');
		expect(controller.state.hasContent).toBe(true);
		controller.pasteText('x'.repeat(MAX_NOTE_LENGTH));
		expect(controller.state.note.length).toBe(MAX_NOTE_LENGTH);
	});

	it('uploads to done: the link opens to the same bytes, the share is remembered and the password dropped', async () => {
		const { controller, phases, myUploads, pending, backend, api } = await setup();
		const { file: picked, bytes } = randomFile();
		controller.add([picked]);
		controller.set({ password: 'correct horse', note: 'hello', maxDownloads: 5 });
		await controller.start();

		expect(phases).toEqual(['pick', 'creating', 'uploading', 'done']);
		const { result } = controller.state;
		expect(result).not.toBeNull();
		expect(result!.maxDownloads).toBe(5);
		expect(controller.state.resultHasPassword).toBe(true);
		expect(controller.state.password).toBe('');
		// The note's bytes follow the file's in the content.
		expect(controller.state.progress).toMatchObject({ done: bytes.length + 5, total: bytes.length + 5 });
		expect(backend.sent.sort()).toEqual([0, 1, 2, 3]);
		expect(await pending.list()).toEqual([]);
		expect(controller.state.remembered).toBe(true);
		expect(myUploads.items.get(result!.id)).toMatchObject({
			hasPassword: true,
			hasNote: true,
			files: [{ name: 'a.bin', size: bytes.length }]
		});
		expect((await readShare(api, result!.id, result!.secret, 'correct horse')).equals(Buffer.concat([bytes, Buffer.from('hello')]))).toBe(
			true
		);

		controller.reset();
		expect(controller.state).toMatchObject({ phase: 'pick', files: [], note: '', result: null, progress: null, maxDownloads: 5 });
	});

	it('pause stops while a part is in flight; resume sends only the missing parts', async () => {
		const { controller, phases, backend, api, pending } = await setup();
		const { file: picked, bytes } = randomFile();
		controller.add([picked]);
		const held = gate();
		backend.hold = { part: 1, gate: held };
		const started = controller.start();
		await held.reached.promise;
		expect(controller.state.phase).toBe('uploading');
		controller.pause();
		await started;

		expect(controller.state.phase).toBe('paused');
		expect(controller.state.failure).toBeNull();
		expect(controller.state.progress?.done).toBe(PART_PLAIN);
		expect(backend.sent).toEqual([0]);
		const id = (await pending.list())[0]!.id;
		expect((await api.info(id)).state).toBe('uploading');

		await controller.resume();
		expect(phases).toEqual(['pick', 'creating', 'uploading', 'paused', 'uploading', 'done']);
		expect(backend.sent).toEqual([0, 1, 2, 3]);
		expect((await readShare(api, id, controller.state.result!.secret)).equals(bytes)).toBe(true);
	});

	it('pause while the share is being created, once it exists: it ends paused, and resume finishes it', async () => {
		const { controller, phases, api, backend } = await setup();
		const { file: picked, bytes } = randomFile();
		controller.add([picked]);
		const held = gate();
		api.afterCreate = held;
		const started = controller.start();
		await held.reached.promise;
		expect(controller.state.phase).toBe('creating');
		controller.pause();
		held.release.resolve();
		await started;

		expect(controller.state.phase).toBe('paused');
		expect(controller.state.failure).toBeNull();
		expect(backend.sent).toEqual([]);
		await controller.resume();
		expect(phases).toEqual(['pick', 'creating', 'paused', 'uploading', 'done']);
		const { result } = controller.state;
		expect((await readShare(api, result!.id, result!.secret)).equals(bytes)).toBe(true);
	});

	it('pause before the create request went out: back to picking, nothing created, nothing wrong', async () => {
		const { controller, phases, api } = await setup();
		controller.add([randomFile().file]);
		const held = gate();
		api.beforeCreate = held;
		const started = controller.start();
		await held.reached.promise;
		controller.pause();
		held.release.resolve();
		await started;

		expect(phases).toEqual(['pick', 'creating', 'pick']);
		expect(controller.state.failure).toBeNull();
		expect(controller.state.files).toHaveLength(1);
		expect(api.requests().filter((r) => r === 'POST /api/v1/shares')).toEqual([]);
	});

	it('cancel while the share is being created: back to picking at once, and the share is deleted once it exists', async () => {
		const { controller, phases, api, pending, backend } = await setup();
		controller.add([randomFile().file]);
		const held = gate();
		api.afterCreate = held;
		const started = controller.start();
		await held.reached.promise;
		const cancelled = controller.cancel();
		expect(controller.state.phase).toBe('pick');
		expect(controller.state.progress).toBeNull();
		await cancelled;
		held.release.resolve();
		await started;

		expect(phases).toEqual(['pick', 'creating', 'pick']);
		expect(controller.state.failure).toBeNull();
		expect(backend.sent).toEqual([]);
		expect(await pending.list()).toEqual([]);
		const deletes = api.requests().filter((r) => r.startsWith('DELETE'));
		expect(deletes).toHaveLength(1);
		expect(await shareStatus(api, deletes[0]!.split('/').at(-1)!)).toBe('DELETED');
	});

	it('a new upload started right after a cancel during creation is not taken over by the cancelled one', async () => {
		const { controller, api, backend } = await setup();
		const { file: picked, bytes } = randomFile();
		controller.add([picked]);
		const held = gate();
		api.afterCreate = held;
		const first = controller.start();
		await held.reached.promise;
		await controller.cancel();
		const second = controller.start();
		held.release.resolve();
		await Promise.all([first, second]);

		expect(controller.state.phase).toBe('done');
		expect(controller.state.failure).toBeNull();
		expect(backend.sent.sort()).toEqual([0, 1, 2, 3]);
		const { result } = controller.state;
		expect((await readShare(api, result!.id, result!.secret)).equals(bytes)).toBe(true);
		const cancelledId = api
			.requests()
			.find((r) => r.startsWith('DELETE'))!
			.split('/')
			.at(-1)!;
		expect(cancelledId).not.toBe(result!.id);
		expect(await shareStatus(api, cancelledId)).toBe('DELETED');
	});

	it('cancel while paused deletes the partial share and forgets it', async () => {
		const { controller, api, pending, backend } = await setup();
		controller.add([randomFile().file]);
		const held = gate();
		backend.hold = { part: 2, gate: held };
		const started = controller.start();
		await held.reached.promise;
		controller.pause();
		await started;
		const id = (await pending.list())[0]!.id;

		await controller.cancel();
		expect(controller.state).toMatchObject({ phase: 'pick', progress: null, failure: null });
		expect(await pending.list()).toEqual([]);
		expect(await shareStatus(api, id)).toBe('DELETED');
		await controller.resume(); // nothing left to resume
		expect(controller.state.phase).toBe('pick');
	});

	it('cancel as the last step finishes still deletes the share and never shows it done', async () => {
		const { controller, phases, api, pending, myUploads } = await setup();
		controller.add([randomFile().file]);
		const held = gate();
		api.afterComplete = held;
		const started = controller.start();
		await held.reached.promise;
		const id = (await pending.list())[0]!.id;
		await controller.cancel();
		held.release.resolve();
		await started;

		expect(phases).toEqual(['pick', 'creating', 'uploading', 'pick']);
		expect(controller.state.result).toBeNull();
		expect(myUploads.items.size).toBe(0);
		expect(await shareStatus(api, id)).toBe('DELETED');
	});

	it('a failed part leaves the upload paused with the reason; resume is the retry', async () => {
		const { controller, phases, backend, api } = await setup();
		const { file: picked, bytes } = randomFile();
		controller.add([picked]);
		backend.failNext = { part: 2, error: new ApiError('MISSING_PARTS', 'refused', 400) };
		await controller.start();

		expect(controller.state.phase).toBe('paused');
		expect(controller.state.failure?.code).toBe('MISSING_PARTS');
		expect(backend.sent).toEqual([0, 1]);

		await controller.resume();
		expect(phases).toEqual(['pick', 'creating', 'uploading', 'paused', 'uploading', 'done']);
		expect(controller.state.failure).toBeNull();
		expect(backend.sent).toEqual([0, 1, 2, 3]);
		const { result } = controller.state;
		expect((await readShare(api, result!.id, result!.secret)).equals(bytes)).toBe(true);
	});

	/** An upload whose network drops while part 1 is on its way (released by the caller). */
	async function uploadLosingTheNetwork(retryEnv: ReturnType<typeof testRetryEnv>) {
		const online = onlineEvents();
		const context = await setup({ online: online.subscribe, retryEnv });
		const { file: picked, bytes } = randomFile();
		context.controller.add([picked]);
		const held = gate();
		context.backend.hold = { part: 1, gate: held };
		const started = context.controller.start();
		await held.reached.promise;
		context.backend.offline = true;
		return { ...context, online, bytes, held, started };
	}

	/** Back online: the upload went through 'reconnecting' and the share opens to the same bytes. */
	async function expectFinishedAfterReconnecting(upload: Awaited<ReturnType<typeof uploadLosingTheNetwork>>) {
		await upload.started;
		expect(upload.phases).toEqual(['pick', 'creating', 'uploading', 'reconnecting', 'uploading', 'done']);
		expect(upload.backend.sent).toEqual([0, 1, 2, 3]);
		const { result } = upload.controller.state;
		expect((await readShare(upload.api, result!.id, result!.secret)).equals(upload.bytes)).toBe(true);
	}

	it('the network drops mid-upload: reconnecting while it retries, and the online event resumes it at once', async () => {
		const retryEnv = testRetryEnv(true);
		const upload = await uploadLosingTheNetwork(retryEnv);
		const { controller, backend, online, held } = upload;
		const reconnecting = until(controller, (s) => s.phase === 'reconnecting');
		held.release.resolve();
		await reconnecting;
		expect(controller.state.busy).toBe(true);
		expect(controller.state.failure).toBeNull();
		expect(controller.state.progress).toMatchObject({ done: PART_PLAIN, bytesPerSecond: 0, secondsLeft: null });
		expect(backend.refused).toBe(1);

		backend.offline = false;
		online.fire(); // ends the backoff wait: no need to sit out the rest of it
		await expectFinishedAfterReconnecting(upload);
		expect(retryEnv.longWaits).toBe(0);
	});

	it('the network stays down past every retry: it keeps reconnecting, and resumes by itself when online', async () => {
		const retryEnv = testRetryEnv();
		const upload = await uploadLosingTheNetwork(retryEnv);
		const { controller, backend, online } = upload;
		upload.held.release.resolve();
		await retryEnv.waiting.promise;
		// Every retry spent, and waiting for the network rather than paused with an error.
		expect(backend.refused).toBe(DEFAULT_RETRY.attempts);
		expect(controller.state.phase).toBe('reconnecting');
		expect(controller.state.failure).toBeNull();

		// Online, but the server is still out of reach: another round of retries, then waiting again.
		retryEnv.waiting = deferred();
		online.fire();
		await retryEnv.waiting.promise;
		expect(backend.refused).toBe(2 * DEFAULT_RETRY.attempts);
		expect(controller.state.phase).toBe('reconnecting');

		backend.offline = false;
		online.fire();
		await expectFinishedAfterReconnecting(upload);
	});

	it('pause while waiting to reconnect stops waiting; cancel deletes the share', async () => {
		const online = onlineEvents();
		const retryEnv = testRetryEnv();
		const { controller, phases, backend, api, pending } = await setup({ online: online.subscribe, retryEnv });
		controller.add([randomFile().file]);
		backend.offline = true;
		const started = controller.start();
		await retryEnv.waiting.promise;
		controller.pause();
		await started;
		expect(controller.state.phase).toBe('paused');
		expect(controller.state.failure).toBeNull();
		online.fire(); // a paused upload stays paused
		expect(controller.state.phase).toBe('paused');
		expect(backend.refused).toBe(DEFAULT_RETRY.attempts);
		expect(phases).toEqual(['pick', 'creating', 'uploading', 'reconnecting', 'paused']);

		const id = (await pending.list())[0]!.id;
		await controller.cancel();
		expect(controller.state.phase).toBe('pick');
		expect(await shareStatus(api, id)).toBe('DELETED');
	});

	it('an unreachable server while creating: back to picking with NETWORK, and a retry works', async () => {
		let offline = true;
		const api = new GatedApi(t.url, (input, init) => (offline ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init)));
		const config = await t.client().config();
		const { controller, phases } = await setup({ api });
		// init failed too (the same unreachable server); the page shows why.
		expect(controller.state.failure?.code).toBe('NETWORK');
		expect(controller.state.config).toBeNull();
		offline = false;
		await controller.init();
		expect(controller.state.config).toEqual(config);

		offline = true;
		controller.add([randomFile().file]);
		await controller.start();
		expect(controller.state.phase).toBe('pick');
		expect(controller.state.failure?.code).toBe('NETWORK');

		offline = false;
		await controller.start();
		expect(phases).toEqual(['pick', 'creating', 'pick', 'creating', 'uploading', 'done']);
		expect(controller.state.failure).toBeNull();
	});

	it('a browser without storage still finishes, says the list is unavailable, and remembers nothing', async () => {
		const { controller, myUploads } = await setup({ failingStorage: true });
		controller.add([randomFile().file]);
		await controller.start();
		expect(controller.state.phase).toBe('done');
		expect(controller.state.remembered).toBe(false);
		expect(controller.state.failure?.code).toBe('STORAGE_UNAVAILABLE');
		expect(myUploads.items.size).toBe(0);
	});

	it('not remembered when the sender said so', async () => {
		const { controller, myUploads } = await setup();
		controller.add([randomFile().file]);
		controller.set({ remember: false });
		await controller.start();
		expect(controller.state.phase).toBe('done');
		expect(controller.state.remembered).toBe(false);
		expect(myUploads.items.size).toBe(0);
	});

	it('an interrupted upload resumes with the same files only, and can be discarded', async () => {
		const pending = memoryPendingUploads();
		const api = t.client();
		const config = await api.config();
		const { file: picked, bytes } = randomFile('movie.bin');
		// What a closed tab leaves behind: the share created, its secrets remembered, no part sent.
		const interrupted = await startUpload(
			{ files: [picked], expiresIn: 3600, maxDownloads: 1 },
			{ api, config, crypto: new GatedBackend(), pending }
		);
		const other = await startUpload(
			{ files: [randomFile('other.bin').file], expiresIn: 3600, maxDownloads: 1 },
			{ api, config, crypto: new GatedBackend(), pending }
		);
		const { controller, backend } = await setup({ pending, api });
		expect(controller.state.interrupted.map((u) => u.id).sort()).toEqual([interrupted.pending.id, other.pending.id].sort());

		const renamed = file('movie.bin', bytes, 'application/octet-stream', 1);
		await controller.resumeInterrupted(interrupted.pending, [renamed]);
		expect(controller.state.failure?.code).toBe('NOT_SAME_FILES');
		expect(controller.state.phase).toBe('pick');
		expect(backend.sent).toEqual([]);

		await controller.resumeInterrupted(interrupted.pending, [picked]);
		expect(controller.state.phase).toBe('done');
		expect(controller.state.failure).toBeNull();
		expect(controller.state.files).toEqual([picked]);
		expect(controller.state.interrupted.map((u) => u.id)).toEqual([other.pending.id]);
		const { result } = controller.state;
		expect(result!.id).toBe(interrupted.pending.id);
		expect((await readShare(api, result!.id, result!.secret)).equals(bytes)).toBe(true);

		controller.reset();
		await controller.discardInterrupted(other.pending);
		expect(controller.state.interrupted).toEqual([]);
		expect(await pending.list()).toEqual([]);
		expect(await shareStatus(api, other.pending.id)).toBe('DELETED');
	});
});
