import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReceiveController, type ReceiveControllerDeps } from '../../../src/lib/controllers/receive-controller';
import type { FileEntry, PasswordKdf } from '../../../src/lib/crypto';
import { describeFailure } from '../../../src/lib/messages';
import { shareLink, splitLink } from '../../../src/lib/link';
import type { PdfDocument } from '../../../src/lib/preview/pdf';
import type { RangeReader } from '../../../src/lib/transfer/cipher-reader';
import { inlineBackend, type CryptoBackend } from '../../../src/lib/transfer/crypto-backend';
import { memoryPendingUploads } from '../../../src/lib/uploads/pending-uploads';
import { runUpload, startUpload, uploadShare, type UploadResult } from '../../../src/lib/transfer/upload';
import { zipSize } from '../../../src/lib/save/zip';
import { fileHandleSink } from '../../../src/lib/save/sinks';
import { m } from '../../../src/lib/paraglide/messages.js';
import { DAY } from '../../server/helpers';
import { randomBytes } from 'node:crypto';
import {
	collectingSink,
	deferred,
	fastKdf,
	file,
	gate,
	GatedApi,
	GatedBackend,
	randomFile,
	record,
	onlineEvents,
	startFlakyProxy,
	startTestServer,
	testRetryEnv,
	until,
	type Gate,
	type TestServer
} from './support';

/** The in-thread backend whose next range read can be held until released or the transfer is cancelled. */
class HeldReads implements CryptoBackend {
	hold: Gate | null = null;
	sendPart = inlineBackend.sendPart;
	dispose(): void {}
	openRange(request: Parameters<CryptoBackend['openRange']>[0]): RangeReader {
		const reader = inlineBackend.openRange(request);
		const held = this.hold;
		this.hold = null;
		if (!held) return reader;
		const closed = deferred();
		return {
			async read() {
				held.reached.resolve();
				await Promise.race([held.release.promise, closed.promise]);
				return reader.read();
			},
			close() {
				closed.resolve();
				reader.close();
			}
		};
	}
}

describe('receive controller, against a real server', () => {
	let t: TestServer;
	beforeAll(async () => {
		t = await startTestServer();
	});
	afterAll(() => t.close());

	/** A share made the way the upload page makes one. */
	async function share(
		files: File[],
		options: { maxDownloads?: number; password?: string; note?: string; expiresIn?: number } = {}
	): Promise<UploadResult> {
		const api = t.client();
		return uploadShare(
			{
				files,
				expiresIn: options.expiresIn ?? 3600,
				maxDownloads: options.maxDownloads ?? 5,
				password: options.password,
				note: options.note
			},
			{ api, config: await api.config(), crypto: inlineBackend, pending: memoryPendingUploads(), passwordKdf: fastKdf }
		);
	}

	/** Saves land in memory, one sink per file, and say which files they were asked for. */
	function setup(overrides: Partial<ReceiveControllerDeps> & { api?: GatedApi } = {}) {
		const api = overrides.api ?? t.client();
		const backend = new HeldReads();
		const sinks = new Map<string, ReturnType<typeof collectingSink>>();
		const asked: string[][] = [];
		const controller = new ReceiveController({
			api,
			crypto: () => backend,
			passwordKdf: fastKdf,
			chooseSaveTarget: async (files) => {
				asked.push(files.map((f) => f.name));
				return async (entry: FileEntry) => {
					const sink = collectingSink();
					sinks.set(entry.name, sink);
					return sink;
				};
			},
			mediaWorker: async () => null,
			loadPdf: async () => async () => {
				throw new Error('no PDF here');
			},
			...overrides
		});
		return { api, backend, sinks, asked, controller, phases: record(controller) };
	}

	it('a share still uploading: the download follows the upload, showing both sides, and ends with every byte', async () => {
		const api = t.client();
		const config = await api.config();
		const uploader = new GatedBackend();
		const held = gate();
		uploader.hold = { part: 2, gate: held }; // one record per part here: parts 0, 1 and 3 arrive, 2 waits
		const { file: picked, bytes } = randomFile('live.bin', 4 * 65536);
		const deps = { api, config, crypto: uploader, pending: memoryPendingUploads(), passwordKdf: fastKdf };
		const job = await startUpload({ files: [picked], expiresIn: 3600, maxDownloads: 1 }, deps);
		const uploading = runUpload(job, deps);
		await held.reached.promise;

		const { controller, sinks } = setup();
		await controller.load(job.pending.id, job.pending.secret);
		expect(controller.state.share?.info.state).toBe('uploading');
		expect(controller.state.sender).toEqual({ received: expect.any(Number) as number, total: controller.state.share!.info.size });
		const saving = controller.download(controller.state.files);
		// The records before the missing part are saved while the upload is held.
		await until(controller, (s) => (s.progress?.done ?? 0) >= 2 * 65536);
		expect(controller.state.phase).toBe('downloading');
		held.release.resolve();
		await uploading;
		await saving;
		expect(controller.state.phase).toBe('done');
		expect(controller.state.failure).toBeNull();
		expect(sinks.get('live.bin')!.bytes().equals(bytes)).toBe(true);
	});

	it('saves files one at a time under their last segment, unique over the whole share', async () => {
		const files = [randomFile('docs/sub/x.txt', 10).file, randomFile('other/x.txt', 20).file, randomFile('X.txt', 30).file];
		const made = await share(files);
		const { controller, asked, sinks } = setup();
		await controller.load(made.id, made.secret);
		expect(controller.state.files.map((f) => f.name)).toEqual(['docs/sub/x.txt', 'other/x.txt', 'X.txt']);

		await controller.download([controller.state.files[1]!]);
		await controller.download([controller.state.files[2]!, controller.state.files[0]!]);
		expect(asked).toEqual([['x (2).txt'], ['X (3).txt', 'x.txt']]);
		expect([...sinks.keys()]).toEqual(['x (2).txt', 'X (3).txt', 'x.txt']);
		expect(sinks.get('x (2).txt')!.bytes().length).toBe(20);
	});

	it('opens a share, spends nothing until asked, then saves every file: done', async () => {
		const a = randomFile('a.bin');
		const b = randomFile('b.txt', 1000);
		const made = await share([a.file, b.file], { maxDownloads: 5, note: 'for you' });
		const { controller, phases, sinks, api } = setup();
		await controller.load(made.id, made.secret);

		expect(controller.state.phase).toBe('ready');
		// The note is in the content now: not readable before a download is spent.
		expect(controller.state.note).toBeNull();
		expect(controller.state.noteHidden).toBe(true);
		expect(controller.state.files.map((f) => f.name)).toEqual(['a.bin', 'b.txt']);
		expect(controller.state.downloadsLeft).toBe(5);
		expect(api.requests().some((r) => r.endsWith('/claim'))).toBe(false);

		await controller.download(controller.state.files);
		expect(phases).toEqual(['loading', 'ready', 'downloading', 'done']);
		expect(controller.state.failure).toBeNull();
		expect(controller.state.downloadsLeft).toBe(4);
		// Progress adds up over both files.
		expect(controller.state.progress).toMatchObject({ done: a.bytes.length + 1000, total: a.bytes.length + 1000 });
		expect(sinks.get('a.bin')!.bytes().equals(a.bytes)).toBe(true);
		expect(sinks.get('b.txt')!.bytes().equals(b.bytes)).toBe(true);
		expect(sinks.get('a.bin')!.closed).toBe(true);

		// Another save from the same page spends nothing more.
		await controller.download([controller.state.files[1]!]);
		expect(controller.state.phase).toBe('done');
		expect(controller.state.downloadsLeft).toBe(4);
		expect(api.requests().filter((r) => r.endsWith('/claim'))).toHaveLength(1);

		// The note after the files: read on the same download.
		await controller.revealNote();
		expect(controller.state.note).toBe('for you');
		expect(controller.state.downloadsLeft).toBe(4);
		expect(api.requests().filter((r) => r.endsWith('/claim'))).toHaveLength(1);
	});

	it('a note burns: revealing it spends a download; with a limit of 1, a second reader is refused', async () => {
		const note = 'Der Tür-Code ist 4711 ✓ — nur einmal lesbar.';
		const made = await share([], { maxDownloads: 1, note });
		const first = setup();
		const second = setup();
		await first.controller.load(made.id, made.secret);
		await second.controller.load(made.id, made.secret);
		for (const { controller } of [first, second]) {
			expect(controller.state.phase).toBe('ready');
			expect(controller.state.note).toBeNull();
			expect(controller.state.noteHidden).toBe(true);
			expect(controller.state.downloadsLeft).toBe(1);
		}
		expect(first.api.requests().some((r) => r.endsWith('/claim'))).toBe(false);

		await first.controller.revealNote();
		expect(first.controller.state.failure).toBeNull();
		expect(first.controller.state.note).toBe(note);
		expect(first.controller.state.noteHidden).toBe(false);
		expect(first.controller.state.downloadsLeft).toBe(0);

		// A page opened before the note was read: its reveal is refused by the server.
		await second.controller.revealNote();
		expect(second.controller.state.note).toBeNull();
		expect(second.controller.state.failure?.code).toBe('DOWNLOAD_LIMIT_REACHED');
		// A page opened after: used up, like a used-up file share.
		const third = setup();
		await third.controller.load(made.id, made.secret);
		expect(third.controller.state.phase).toBe('failed');
		expect(third.controller.state.failure?.code).toBe('DOWNLOAD_LIMIT_REACHED');
	});

	it('all files as one ZIP', async () => {
		const made = await share([randomFile('a.bin').file, randomFile('b.bin', 5000).file]);
		const { controller, sinks, asked } = setup();
		await controller.load(made.id, made.secret);
		await controller.downloadZip();
		expect(controller.state.phase).toBe('done');
		expect(asked).toHaveLength(1);
		expect(asked[0]).toEqual([expect.stringMatching(/\.zip$/)]);
		const zip = [...sinks.values()][0]!.bytes();
		expect(zip.length).toBe(zipSize(controller.state.files));
		expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
		expect(controller.state.current?.zip).toMatch(/\.zip$/);
	});

	it('a link without its key asks for it; the key sent apart opens the share', async () => {
		const made = await share([randomFile().file]);
		const { controller, api } = setup();
		const halves = splitLink(t.url, made.id, made.secret);
		await controller.load(made.id, '');
		expect(controller.state).toMatchObject({ phase: 'need-key', failure: null });
		expect(api.requests()).toEqual([]);
		expect(`${halves.link}#${halves.key}`).toBe(shareLink(t.url, made.id, made.secret));
		await controller.load(made.id, halves.key);
		expect(controller.state.phase).toBe('ready');
	});

	it('a damaged key asks again before any request; a wrong key is caught before any download is spent', async () => {
		const made = await share([randomFile().file], { maxDownloads: 1 });
		const { controller, api } = setup();
		await controller.load(made.id, made.secret.slice(0, 40));
		expect(controller.state.phase).toBe('need-key');
		expect(controller.state.failure?.code).toBe('BAD_SECRET');
		expect(api.requests()).toEqual([]);

		const wrong = (made.secret[0] === 'A' ? 'B' : 'A') + made.secret.slice(1);
		await controller.load(made.id, wrong);
		expect(controller.state.phase).toBe('need-key');
		expect(controller.state.failure?.code).toBe('WRONG_KEY');
		expect(api.requests().filter((r) => !r.startsWith('GET'))).toEqual([]);

		await controller.load(made.id, made.secret);
		expect(controller.state).toMatchObject({ phase: 'ready', downloadsLeft: 1, failure: null });
	});

	it('a password share (format v2): a wrong link is caught before the password is asked; a wrong password is refused by the server and spends nothing; the right one opens it', async () => {
		const a = randomFile();
		const made = await share([a.file], { password: 'open sesame', maxDownloads: 1 });
		const stretched: string[] = [];
		const countingKdf: PasswordKdf = async (password, header) => {
			stretched.push(password);
			return fastKdf(password, header);
		};
		const { controller, phases, api } = setup({ passwordKdf: countingKdf });
		const wrongLink = (made.secret[0] === 'A' ? 'B' : 'A') + made.secret.slice(1);
		await controller.load(made.id, wrongLink);
		expect(controller.state).toMatchObject({ phase: 'need-key', failure: { code: 'WRONG_KEY' } });
		expect(api.requests()).toEqual([`GET /api/v1/shares/${made.id}`]);

		await controller.load(made.id, made.secret);
		expect(controller.state).toMatchObject({ phase: 'need-password', failure: null, share: null });
		const before = api.requests().length;
		await controller.unlock('open sesamy');
		expect(controller.state.phase).toBe('need-password');
		expect(controller.state.failure?.code).toBe('WRONG_PASSWORD');
		// The server checked it: one unlock request, nothing else.
		expect(api.requests().slice(before)).toEqual([`POST /api/v1/shares/${made.id}/unlock`]);

		await controller.unlock('');
		expect(controller.state.phase).toBe('need-password');

		await controller.unlock('open sesame');
		expect(stretched).toEqual(['open sesamy', 'open sesame']);
		expect(phases.slice(phases.lastIndexOf('need-key') + 1)).toEqual([
			'loading',
			'need-password',
			'unlocking',
			'need-password',
			'unlocking',
			'ready'
		]);
		expect(controller.state).toMatchObject({ failure: null, downloadsLeft: 1 });
		await controller.download(controller.state.files);
		expect(controller.state.phase).toBe('done');
	});

	it('unknown and malformed shares fail with their own codes', async () => {
		const { controller, api } = setup();
		await controller.load('AAAAAAAAAAAAAAAAAAAAAA', 'A'.repeat(43));
		expect(controller.state).toMatchObject({ phase: 'failed', failure: { code: 'NOT_FOUND' } });
		await controller.load('not-an-id', 'A'.repeat(43));
		expect(controller.state).toMatchObject({ phase: 'failed', failure: { code: 'INVALID_ID' } });
		expect(api.requests()).toHaveLength(1);
	});

	it('expired, deleted and used-up shares fail with their own codes', async () => {
		const expiring = await share([randomFile().file], { expiresIn: 3600 });
		const deleted = await share([randomFile().file]);
		const usedUp = await share([randomFile().file], { maxDownloads: 1 });
		const { controller } = setup();

		await t.client().deleteShare(deleted.id, deleted.ownerToken);
		await controller.load(deleted.id, deleted.secret);
		expect(controller.state).toMatchObject({ phase: 'failed', failure: { code: 'DELETED' } });

		const first = setup().controller;
		await first.load(usedUp.id, usedUp.secret);
		await first.download(first.state.files);
		expect(first.state).toMatchObject({ phase: 'done', downloadsLeft: 0 });
		await controller.load(usedUp.id, usedUp.secret);
		expect(controller.state).toMatchObject({ phase: 'failed', failure: { code: 'DOWNLOAD_LIMIT_REACHED' } });

		t.clock.advance(DAY);
		await controller.load(expiring.id, expiring.secret);
		expect(controller.state).toMatchObject({ phase: 'failed', failure: { code: 'EXPIRED' } });
	});

	it('tampered data is refused: nothing saved, the page ready to try again', async () => {
		const a = randomFile();
		const made = await share([a.file]);
		const part = join(t.server.config.dataDir, 'blobs', made.id, '1');
		const bytes = await readFile(part);
		bytes[100] = bytes[100]! ^ 1;
		await writeFile(part, bytes);
		const { controller, phases, sinks } = setup();
		await controller.load(made.id, made.secret);
		await controller.download(controller.state.files);

		expect(phases).toEqual(['loading', 'ready', 'downloading', 'ready']);
		expect(controller.state.failure?.code).toBe('TAMPERED');
		expect(sinks.get('a.bin')!.closed).toBe(false);
		expect(sinks.get('a.bin')!.aborted).toBe(true);
	});

	it('an unreachable server fails with NETWORK; loading again once it is back opens the share', async () => {
		const made = await share([randomFile().file]);
		let offline = true;
		const api = new GatedApi(t.url, (input, init) => (offline ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init)));
		const { controller, phases } = setup({ api });
		await controller.load(made.id, made.secret);
		expect(controller.state).toMatchObject({ phase: 'failed', failure: { code: 'NETWORK' } });
		offline = false;
		await controller.load(made.id, made.secret);
		expect(phases).toEqual(['loading', 'failed', 'loading', 'ready']);
		expect(controller.state.failure).toBeNull();
	});

	it('cancel stops a download mid-way, nothing is saved; the retry finishes on the same download', async () => {
		const a = randomFile();
		const made = await share([a.file], { maxDownloads: 2 });
		const { controller, phases, backend, sinks, api } = setup();
		await controller.load(made.id, made.secret);
		const held = gate();
		backend.hold = held;
		const downloading = controller.download(controller.state.files);
		await held.reached.promise;
		expect(controller.state.phase).toBe('downloading');
		controller.cancel();
		await downloading;

		// The person's own Cancel is no failure: the page says it plainly, not as an alert.
		expect(controller.state).toMatchObject({ phase: 'ready', failure: null, cancelled: true });
		expect(sinks.get('a.bin')!.aborted).toBe(true);
		expect(controller.state.downloadsLeft).toBe(1);

		await controller.download(controller.state.files);
		expect(phases).toEqual(['loading', 'ready', 'downloading', 'ready', 'downloading', 'done']);
		expect(controller.state).toMatchObject({ failure: null, cancelled: false });
		expect(sinks.get('a.bin')!.bytes().equals(a.bytes)).toBe(true);
		expect(controller.state.downloadsLeft).toBe(1);
		expect(api.requests().filter((r) => r.endsWith('/claim'))).toHaveLength(1);
	});

	/** About 1.5 MiB: a download of two reads at least (a read hands over at most 1 MiB). */
	const bigFile = () => {
		const bytes = randomBytes(1.5 * 1024 * 1024 + 1234);
		return { file: file('big.bin', bytes), bytes };
	};

	/** A sink that may be left open after a stop (memory, a file picked with File System Access). */
	function keptSink(onWrite: () => void = () => {}) {
		const sink = Object.assign(collectingSink(), { resumable: true, writes: 0 });
		const write = sink.write.bind(sink);
		sink.write = async (chunk) => {
			await write(chunk);
			sink.writes++;
			onWrite();
		};
		return sink;
	}

	/** Through a proxy whose network drops; waits and the `online` event under the test's control. */
	async function flakySetup(overrides: Partial<Omit<ReceiveControllerDeps, 'api'>> = {}) {
		const proxy = await startFlakyProxy(t.url);
		const online = onlineEvents();
		const retryEnv = testRetryEnv();
		const context = setup({ api: new GatedApi(proxy.url), online: online.subscribe, retryEnv, ...overrides });
		return { ...context, proxy, online, retryEnv };
	}

	it('the network drops mid-download: it waits for the network, without a failure, and carries on from there when online', async () => {
		const big = bigFile();
		const made = await share([big.file], { maxDownloads: 5 });
		const { controller, phases, sinks, api, proxy, online, retryEnv } = await flakySetup();
		try {
			await controller.load(made.id, made.secret);
			proxy.dropBlobAfter = 1024 * 1024 + 200_000;
			const waitingShown = until(controller, (s) => s.waiting);
			const downloading = controller.download(controller.state.files);
			await waitingShown;
			await retryEnv.waiting.promise; // every quick retry spent: waiting for the network
			expect(controller.state).toMatchObject({ phase: 'downloading', waiting: true, failure: null, stopped: null });
			const { progress } = controller.state;
			expect(progress!.done).toBeGreaterThan(0);
			expect(progress!.done).toBeLessThan(big.bytes.length);
			expect(progress).toMatchObject({ bytesPerSecond: 0, secondsLeft: null });
			const tries = proxy.ranges.length;
			expect(tries).toBe(1); // no connection got through while offline

			proxy.online();
			online.fire();
			await downloading;
			expect(phases).toEqual(['loading', 'ready', 'downloading', 'done']);
			expect(controller.state).toMatchObject({ waiting: false, failure: null, downloadsLeft: 4 });
			expect(sinks.get('big.bin')!.bytes().equals(big.bytes)).toBe(true);
			// From where it stopped (Range), on the one ticket.
			expect(proxy.ranges[0]).toMatch(/^bytes=0-\d+$/);
			expect(proxy.ranges.at(-1)).toMatch(/^bytes=[1-9]\d*-\d+$/);
			expect(api.requests().filter((r) => r.endsWith('/claim'))).toHaveLength(1);
		} finally {
			await proxy.close();
		}
	});

	it('while waiting for the network, Cancel stops waiting; Continue then picks up where it stopped', async () => {
		const big = bigFile();
		const made = await share([big.file], { maxDownloads: 5 });
		const opened: ReturnType<typeof keptSink>[] = [];
		const { controller, proxy, online, retryEnv } = await flakySetup({
			chooseSaveTarget: async () => async () => opened[opened.push(keptSink()) - 1]!
		});
		try {
			await controller.load(made.id, made.secret);
			proxy.dropBlobAfter = 1024 * 1024 + 200_000;
			const downloading = controller.download(controller.state.files);
			await retryEnv.waiting.promise;
			controller.cancel();
			await downloading;
			expect(controller.state).toMatchObject({ phase: 'ready', cancelled: true, failure: null, waiting: false });
			expect(controller.state.stopped).toMatchObject({ total: big.bytes.length, restarts: null });
			expect(controller.state.stopped!.done).toBeGreaterThan(0);
			online.fire(); // a cancelled download stays stopped
			expect(controller.state.phase).toBe('ready');
			expect(retryEnv.longWaits).toBe(1);
			expect(proxy.ranges).toHaveLength(1);

			proxy.online();
			await controller.continueDownload();
			expect(controller.state).toMatchObject({ phase: 'done', stopped: null, downloadsLeft: 4 });
			expect(opened).toHaveLength(1);
			expect(opened[0]!.bytes().equals(big.bytes)).toBe(true);
		} finally {
			await proxy.close();
		}
	});

	it('a cancelled download continues into the same file from the byte it reached, spending nothing more', async () => {
		const big = bigFile();
		const made = await share([big.file], { maxDownloads: 2 });
		const opened: ReturnType<typeof keptSink>[] = [];
		const context = await flakySetup({
			chooseSaveTarget: async () => async () => {
				// Cancel pressed as the first MiB lands.
				const sink = keptSink(() => opened.length === 1 && sink.writes === 1 && controller.cancel());
				opened.push(sink);
				return sink;
			}
		});
		const { controller } = context;
		const { proxy, phases, api } = context;
		try {
			await controller.load(made.id, made.secret);
			await controller.download(controller.state.files);
			const kept = opened[0]!.bytes().length;
			expect(kept).toBeGreaterThan(0);
			expect(controller.state).toMatchObject({ phase: 'ready', cancelled: true, failure: null, downloadsLeft: 1 });
			expect(controller.state.stopped).toEqual({ done: kept, total: big.bytes.length, restarts: null });
			expect(opened[0]!.aborted).toBe(false);

			await controller.continueDownload();
			expect(phases).toEqual(['loading', 'ready', 'downloading', 'ready', 'downloading', 'done']);
			expect(opened).toHaveLength(1); // the same sink, not a new file
			expect(opened[0]!.closed).toBe(true);
			expect(opened[0]!.bytes().equals(big.bytes)).toBe(true);
			expect(controller.state).toMatchObject({ stopped: null, downloadsLeft: 1 });
			expect(api.requests().filter((r) => r.endsWith('/claim'))).toHaveLength(1);
			// The continue asked only for the records from the one it had reached.
			expect(proxy.ranges).toHaveLength(2);
			expect(Number(/^bytes=(\d+)-/.exec(proxy.ranges[1]!)![1])).toBeGreaterThan(kept);
		} finally {
			await proxy.close();
		}
	});

	it('a browser download already begun cannot be added to: Continue saves that file again from its start, spending nothing more', async () => {
		const a = randomFile('a.bin', 1000);
		const big = bigFile();
		const made = await share([a.file, big.file], { maxDownloads: 2 });
		const opened: { name: string; sink: ReturnType<typeof collectingSink> }[] = [];
		const context = setup({
			chooseSaveTarget: async () => async (entry: FileEntry) => {
				const sink = collectingSink();
				const write = sink.write.bind(sink);
				sink.write = async (chunk) => {
					await write(chunk);
					if (entry.name === 'big.bin' && opened.length === 2) controller.cancel();
				};
				opened.push({ name: entry.name, sink });
				return sink;
			}
		});
		const { controller } = context;
		await controller.load(made.id, made.secret);
		await controller.download(controller.state.files);
		expect(controller.state.stopped).toEqual({ done: 1000, total: 1000 + big.bytes.length, restarts: 'big.bin' });
		expect(opened[1]!.sink.aborted).toBe(true);

		await controller.continueDownload();
		expect(controller.state).toMatchObject({ phase: 'done', stopped: null, downloadsLeft: 1 });
		// a.bin was saved once; big.bin again, whole, into a new download.
		expect(opened.map((o) => o.name)).toEqual(['a.bin', 'big.bin', 'big.bin']);
		expect(opened[2]!.sink.bytes().equals(big.bytes)).toBe(true);
		expect(context.api.requests().filter((r) => r.endsWith('/claim'))).toHaveLength(1);
	});

	/**
	 * A SIMULATED disk behind File System Access handles (a real disk or quota cannot be filled in a
	 * test), written as Chromium writes: into a swap file moved into place on close; a write past
	 * `free` bytes fails with the browser's QuotaExceededError, which errors the stream.
	 */
	function simulatedDisk(free: number) {
		const disk = { free, files: new Map<string, Buffer>(), opened: [] as string[] };
		const handle = (name: string) =>
			({
				kind: 'file',
				name,
				async createWritable() {
					disk.opened.push(name);
					const swap: Buffer[] = [];
					let used = 0;
					return new WritableStream<Uint8Array>({
						write(chunk) {
							if (used + chunk.byteLength > disk.free) throw new DOMException('The disk is full.', 'QuotaExceededError');
							used += chunk.byteLength;
							swap.push(Buffer.from(chunk));
						},
						close() {
							disk.files.set(name, Buffer.concat(swap));
						}
					});
				}
			}) as unknown as FileSystemFileHandle;
		return { disk, handle };
	}

	it('a full disk says so (DISK_FULL) and offers Continue: once space is freed, the save finishes, spending nothing more', async () => {
		const a = randomFile('a.bin', 1000);
		const big = bigFile();
		const made = await share([a.file, big.file], { maxDownloads: 2 });
		const { disk, handle } = simulatedDisk(1000 + 64 * 1024);
		const context = setup({ chooseSaveTarget: async () => async (entry: FileEntry) => fileHandleSink(handle(entry.name)) });
		const { controller } = context;
		await controller.load(made.id, made.secret);
		await controller.download(controller.state.files);
		expect(controller.state).toMatchObject({ phase: 'ready', cancelled: false, downloadsLeft: 1 });
		expect(describeFailure(controller.state.failure!)).toEqual({ code: 'DISK_FULL', message: m.error_DISK_FULL() });
		// Chromium drops the swap file of a failed stream: big.bin is saved again from its start, a.bin is kept.
		expect(controller.state.stopped).toEqual({ done: 1000, total: 1000 + big.bytes.length, restarts: 'big.bin' });
		expect(disk.files.has('big.bin')).toBe(false);

		disk.free = Infinity; // the person frees some space
		await controller.continueDownload();
		expect(controller.state).toMatchObject({ phase: 'done', failure: null, stopped: null, downloadsLeft: 1 });
		expect(disk.opened).toEqual(['a.bin', 'big.bin', 'big.bin']);
		expect(disk.files.get('a.bin')!.equals(a.bytes)).toBe(true);
		expect(disk.files.get('big.bin')!.equals(big.bytes)).toBe(true);
		expect(context.api.requests().filter((r) => r.endsWith('/claim'))).toHaveLength(1);
	});

	it('a preview does not wait for the network: it fails as before', async () => {
		const made = await share([randomFile('t.txt', 2000).file]);
		const { controller, proxy, retryEnv } = await flakySetup();
		try {
			await controller.load(made.id, made.secret);
			proxy.goOffline();
			await controller.showPreview(controller.state.files[0]!);
			expect(controller.state.failure?.code).toBe('NETWORK');
			expect(controller.state.waiting).toBe(false);
			expect(retryEnv.longWaits).toBe(0);
		} finally {
			await proxy.close();
		}
	});

	it('a dismissed save dialog changes nothing and spends nothing', async () => {
		const made = await share([randomFile().file]);
		const { controller, api } = setup({ chooseSaveTarget: async () => null });
		await controller.load(made.id, made.secret);
		await controller.download(controller.state.files);
		expect(controller.state).toMatchObject({ phase: 'ready', failure: null, downloadsLeft: 5 });
		expect(api.requests().some((r) => r.endsWith('/claim'))).toBe(false);
	});

	it('previews text and images in the page, spending the one download once', async () => {
		const text = 'hello, previews\n'.repeat(10);
		const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
		const made = await share([file('note.txt', Buffer.from(text), 'text/plain'), file('pic.png', png, 'image/png')], { maxDownloads: 5 });
		const { controller, phases } = setup();
		await controller.load(made.id, made.secret);
		const [note, pic] = controller.state.files as [FileEntry, FileEntry];

		await controller.togglePreview(note);
		expect(controller.state.preview).toEqual({ file: note, kind: 'text', text, truncated: false });
		expect(controller.state.downloadsLeft).toBe(4);

		await controller.togglePreview(pic);
		const shown = controller.state.preview;
		expect(shown).toMatchObject({ file: pic, kind: 'image' });
		const url = (shown as { url: string }).url;
		expect(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(png)).toBe(true);
		expect(controller.state.downloadsLeft).toBe(4);

		await controller.togglePreview(pic); // the same file again: hidden, its memory freed
		expect(controller.state.preview).toBeNull();
		await expect(fetch(url)).rejects.toThrow();
		expect(phases).toEqual(['loading', 'ready']);
	});

	it('media without a service worker: small ones from memory; PDFs through the loaded reader', async () => {
		const pdfBytes = Buffer.from('%PDF-1.4 not really');
		const made = await share([file('song.mp3', Buffer.from('ID3 tune'), 'audio/mpeg'), file('doc.pdf', pdfBytes, 'application/pdf')]);
		const opened: Buffer[] = [];
		let closed = 0;
		const doc = { pages: 1, close: async () => void closed++ } as unknown as PdfDocument;
		const { controller } = setup({
			loadPdf: async () => async (bytes) => {
				opened.push(Buffer.from(bytes));
				return doc;
			}
		});
		await controller.load(made.id, made.secret);
		const [song, pdf] = controller.state.files as [FileEntry, FileEntry];

		await controller.showPreview(song);
		expect(controller.state.preview).toMatchObject({ file: song, kind: 'audio', frame: false, url: expect.stringMatching(/^blob:/) });

		await controller.showPreview(pdf);
		expect(controller.state.preview).toEqual({ file: pdf, kind: 'pdf', doc });
		expect(opened).toEqual([pdfBytes]);
		controller.closePreview();
		expect(controller.state.preview).toBeNull();
		expect(closed).toBe(1);
	});

	it('a failed preview says why and leaves the share ready', async () => {
		const made = await share([file('doc.pdf', Buffer.from('%PDF'), 'application/pdf')]);
		const unreadable = Object.assign(new Error('bad pdf'), { code: 'PDF_UNREADABLE' });
		const { controller } = setup({
			loadPdf: async () => async () => {
				throw unreadable;
			}
		});
		await controller.load(made.id, made.secret);
		await controller.showPreview(controller.state.files[0]!);
		expect(controller.state).toMatchObject({ phase: 'ready', preview: null, previewing: false, failure: { code: 'PDF_UNREADABLE' } });
	});

	it('a key corrected while the first one is still being read: the newer link wins', async () => {
		const made = await share([randomFile().file]);
		const slow = new GatedApi(t.url);
		const infoGate = gate();
		const realInfo = slow.info.bind(slow);
		let calls = 0;
		// The first read is held, then answers as if the share were gone: too late to count.
		slow.info = async (id, opts) => {
			if (calls++ === 0) {
				infoGate.reached.resolve();
				await infoGate.release.promise;
				throw Object.assign(new Error('gone'), { code: 'NOT_FOUND' });
			}
			return realInfo(id, opts);
		};
		const { controller } = setup({ api: slow });
		const first = controller.load(made.id, made.secret);
		await infoGate.reached.promise;
		await controller.load(made.id, made.secret);
		expect(controller.state.phase).toBe('ready');
		infoGate.release.resolve();
		await first;
		expect(controller.state).toMatchObject({ phase: 'ready', failure: null });
	});
});

describe('receive controller: a password share locked by wrong guesses', () => {
	it('says how long to wait after too many wrong passwords, refuses even the right one meanwhile, then opens with it', async () => {
		const t = await startTestServer();
		try {
			const api = t.client();
			const made = await uploadShare(
				{ files: [randomFile().file], expiresIn: 86400, maxDownloads: 1, password: 'right horse' },
				{ api, config: await api.config(), crypto: inlineBackend, pending: memoryPendingUploads(), passwordKdf: fastKdf }
			);
			const controller = new ReceiveController({
				api: t.client(),
				crypto: () => inlineBackend,
				passwordKdf: fastKdf,
				chooseSaveTarget: async () => null,
				mediaWorker: async () => null,
				loadPdf: async () => async () => {
					throw new Error('no PDF here');
				}
			});
			await controller.load(made.id, made.secret);
			for (let i = 0; i < 10; i++) {
				await controller.unlock(`wrong horse ${i}`);
				expect(controller.state.failure?.code).toBe('WRONG_PASSWORD');
			}
			await controller.unlock('right horse');
			expect(controller.state.phase).toBe('need-password');
			// This client's ten wrong guesses lock it for the rest of its 10-minute window, longer than
			// the share's 1 s wait: the page says whose guesses decide.
			expect(controller.state.failure?.code).toBe('CLIENT_LOCKED');
			expect(describeFailure(controller.state.failure!).message).toBe(
				'Too many wrong attempts from your network. Try again in 10 minutes.'
			);
			t.clock.advance(10 * 60_000);
			await controller.unlock('right horse');
			expect(controller.state).toMatchObject({ phase: 'ready', failure: null, downloadsLeft: 1 });
		} finally {
			await t.close();
		}
	}, 30_000);
});
