import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSealdrop, type RunningSealdrop } from '../../server/start';
import { ApiClient } from '../../src/lib/api/client';
import { inlineBackend } from '../../src/lib/transfer/crypto-backend';
import { DownloadSession, openShare, PasswordError, readShareHeader } from '../../src/lib/transfer/download';
import { memoryPendingUploads } from '../../src/lib/uploads/pending-uploads';
import type { SaveSink } from '../../src/lib/save/sinks';
import { resumeUpload, runUpload, startUpload, uploadShare, type UploadDeps } from '../../src/lib/transfer/upload';
import { listeningConfig, tempDir } from './helpers';

/** Encrypts, uploads and decrypts in this thread (what the browser's workers do). */
const backend = inlineBackend;

/** With `takesBuffers` it detaches each chunk after copying it, as the service-worker sink does. */
function collectingSink(takesBuffers = false): { sink: SaveSink; bytes: () => Buffer } {
	const chunks: Uint8Array[] = [];
	return {
		sink: {
			write: async (c) => {
				chunks.push(c.slice());
				if (takesBuffers) structuredClone(c.buffer, { transfer: [c.buffer as ArrayBuffer] });
			},
			close: async () => {},
			abort: async () => {}
		},
		bytes: () => Buffer.concat(chunks)
	};
}

/** The client library against the real server: password, note-only shares, resume with a password. */
describe('share controls through the client library', () => {
	let dir: string;
	let server: RunningSealdrop;
	let api: ApiClient;
	let deps: UploadDeps;
	/** API paths requested through `api`, to prove what a wrong password does not send. */
	const requested: string[] = [];

	beforeAll(async () => {
		dir = await tempDir();
		server = await startSealdrop(listeningConfig(dir));
		api = new ApiClient(server.url, (input, init) => {
			requested.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
			return fetch(input, init);
		});
		deps = { api, config: await api.config(), crypto: backend, pending: memoryPendingUploads() };
	});
	afterAll(async () => {
		await server.close();
		await rm(dir, { recursive: true, force: true });
	});

	const file = (name: string, bytes: Uint8Array) =>
		new File([bytes as Uint8Array<ArrayBuffer>], name, { type: 'application/octet-stream' });

	it('a password share opens only with its password; a wrong one costs one unlock request and nothing else', async () => {
		const content = randomBytes(200_000);
		const done = await uploadShare(
			{ files: [file('a.bin', content)], expiresIn: 3600, maxDownloads: 1, password: 'Ünïcode pässword' },
			deps
		);
		const { header } = await readShareHeader(api, done.id, done.secret);
		expect(header.kdf).toEqual({ memoryKiB: 65536, passes: 3, parallelism: 1 });

		await expect(openShare(api, done.id, done.secret)).rejects.toMatchObject({ code: 'PASSWORD_REQUIRED' });
		requested.length = 0;
		const wrong = openShare(api, done.id, done.secret, { password: 'Ünïcode password' });
		await expect(wrong).rejects.toBeInstanceOf(PasswordError);
		await expect(wrong).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
		// Format v2: the server checks the password (counted by its attempt limit); the read token,
		// which needs the key share the server refused, never left.
		expect(requested).toEqual([`GET /api/v1/shares/${done.id}`, `POST /api/v1/shares/${done.id}/unlock`]);

		// NFD spelling of the same password: NFC normalisation makes it the same key.
		const opened = await openShare(api, done.id, done.secret, { password: 'U\u0308nïcode pa\u0308ssword' });
		expect(opened.metadata.files.map((f) => f.name)).toEqual(['a.bin']);
		const out = collectingSink();
		await new DownloadSession(opened, { api, crypto: backend }).save(0, content.length, out.sink);
		expect(out.bytes().equals(content)).toBe(true);
		await expect(api.info(done.id)).rejects.toMatchObject({ code: 'DOWNLOAD_LIMIT_REACHED' });
	});

	it('an interrupted password upload resumes without asking for the password again', async () => {
		const content = randomBytes(50_000);
		const files = [file('b.bin', content)];
		const job = await startUpload({ files, expiresIn: 3600, maxDownloads: 1, password: 'resume me' }, deps);
		expect(job.pending.passwordKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
		const resumed = await resumeUpload(job.pending, files);
		const done = await runUpload(resumed!, deps);
		expect(await deps.pending.get(done.id)).toBeUndefined(); // the password key is gone with it
		const opened = await openShare(api, done.id, done.secret, { password: 'resume me' });
		const out = collectingSink();
		await new DownloadSession(opened, { api, crypto: backend }).save(0, content.length, out.sink);
		expect(out.bytes().equals(content)).toBe(true);
	});

	it('each file of a multi-file share comes out exact, even into a sink that takes its chunks', async () => {
		// Boundaries inside records (each file shares its first and last record with a neighbour), and
		// files longer than one read of plaintext, so each arrives in several chunks.
		const contents = [randomBytes(1_500_003), randomBytes(2_600_005), randomBytes(1_100_007)];
		const done = await uploadShare({ files: contents.map((c, i) => file(`f${i}.bin`, c)), expiresIn: 3600, maxDownloads: 1 }, deps);
		const opened = await openShare(api, done.id, done.secret);
		const session = new DownloadSession(opened, { api, crypto: backend });
		for (const [i, entry] of opened.metadata.files.entries()) {
			const out = collectingSink(true);
			await session.save(entry.offset, entry.offset + entry.size, out.sink);
			expect(out.bytes().equals(contents[i]!)).toBe(true);
		}
	});

	it('a note without files is in the content: only a claim reads it, so a limit of 1 reads it once', async () => {
		const note = '<b>not bold</b>\nline two ✓';
		const noteBytes = Buffer.byteLength(note, 'utf8');
		const done = await uploadShare({ files: [], expiresIn: 3600, maxDownloads: 1, note }, deps);
		const info = await api.info(done.id);
		expect(info.size).toBe(noteBytes + 16);
		// What anyone with the link reads for free: the file list and the note's length, not its text.
		const opened = await openShare(api, done.id, done.secret);
		expect(opened.metadata.files).toEqual([]);
		expect(opened.metadata.note).toBeUndefined();
		expect(opened.metadata.noteBytes).toBe(noteBytes);
		expect(opened.layout.plainSize).toBe(noteBytes);
		expect((await api.info(done.id)).downloads).toBe(0);

		const session = new DownloadSession(opened, { api, crypto: backend });
		const out = collectingSink();
		await session.save(0, noteBytes, out.sink);
		expect(out.bytes().toString('utf8')).toBe(note);
		expect(session.downloadsLeft).toBe(0);

		// Used up: a second reader is refused, as for a file share.
		const again = new DownloadSession(opened, { api, crypto: backend });
		await expect(again.claim()).rejects.toMatchObject({ code: 'DOWNLOAD_LIMIT_REACHED' });
		await expect(api.info(done.id)).rejects.toMatchObject({ code: 'DOWNLOAD_LIMIT_REACHED' });
	});

	it('neither files nor a note: refused before anything is sent (FORMAT.md §5.1)', async () => {
		requested.length = 0;
		await expect(uploadShare({ files: [], expiresIn: 3600, maxDownloads: 1 }, deps)).rejects.toMatchObject({ code: 'BAD_METADATA' });
		await expect(uploadShare({ files: [], expiresIn: 3600, maxDownloads: 1, note: '' }, deps)).rejects.toMatchObject({
			code: 'BAD_METADATA'
		});
		expect(requested).toEqual([]);
	});

	it('a note resumed after a closed tab is rebuilt from what this browser kept', async () => {
		const pending = memoryPendingUploads();
		const note = 'resume me ✓';
		const bytes = randomBytes(70_000);
		const picked = file('a.bin', bytes);
		await startUpload({ files: [picked], expiresIn: 3600, maxDownloads: 2, note }, { ...deps, pending });
		const kept = (await pending.list())[0]!;
		expect(kept.note).toBe(note);
		const resumed = await resumeUpload(kept, [picked]);
		const done = await runUpload(resumed!, { ...deps, pending });
		const opened = await openShare(api, done.id, done.secret);
		const out = collectingSink();
		await new DownloadSession(opened, { api, crypto: backend }).save(0, opened.layout.plainSize, out.sink);
		expect(out.bytes().equals(Buffer.concat([bytes, Buffer.from(note, 'utf8')]))).toBe(true);
		expect(await pending.list()).toEqual([]);
	});
});
