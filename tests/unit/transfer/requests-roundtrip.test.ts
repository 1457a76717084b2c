import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSealdrop, type RunningSealdrop } from '../../../server/start';
import { ApiClient } from '../../../src/lib/api/client';
import type { PublicRequestInfo } from '../../../src/lib/api/types';
import {
	CryptoError,
	exportRequestKey,
	generateRequestKeyPair,
	importRequestKey,
	toBase64Url,
	type RequestKeyPair
} from '../../../src/lib/crypto';
import { inlineBackend } from '../../../src/lib/transfer/crypto-backend';
import { DownloadSession } from '../../../src/lib/transfer/download';
import {
	createFileRequest,
	listSubmissions,
	openFileRequest,
	openSubmission,
	requestLink,
	submitFiles,
	type SubmissionReceipt
} from '../../../src/lib/transfer/requests';
import { resumeUpload, runUpload, startUpload, type UploadDeps } from '../../../src/lib/transfer/upload';
import { memoryPendingUploads } from '../../../src/lib/uploads/pending-uploads';
import { listeningConfig, tempDir } from '../../server/helpers';

const QUICK_KDF = { memoryKiB: 1024, passes: 1, parallelism: 1 };

/**
 * File requests end to end through the client functions and the real upload engine, against a
 * real server on 127.0.0.1: a requester, two submitters, and the requester's key moved by a file.
 */
describe('file requests, client to server and back', () => {
	let dir: string;
	let server: RunningSealdrop;

	beforeAll(async () => {
		dir = await tempDir();
		server = await startSealdrop(listeningConfig(dir));
	});
	afterAll(async () => {
		await server?.close();
		await rm(dir, { recursive: true, force: true });
	});

	const file = (name: string, bytes: Uint8Array) => new File([bytes as Uint8Array<ArrayBuffer>], name);

	async function depsFor(api: ApiClient): Promise<UploadDeps> {
		return { api, config: await api.config(), crypto: inlineBackend, pending: memoryPendingUploads() };
	}

	/** The requester decrypts a whole submission with its key pair. */
	async function read(api: ApiClient, keys: RequestKeyPair, submission: { id: string; ephemeralKey: string }) {
		const opened = await openSubmission(api, keys, submission);
		const chunks: Uint8Array[] = [];
		const sink = { write: async (c: Uint8Array) => void chunks.push(c.slice()), close: async () => {}, abort: async () => {} };
		await new DownloadSession(opened, { api, crypto: inlineBackend }).save(0, opened.layout.plainSize, sink);
		return { metadata: opened.metadata, bytes: Buffer.concat(chunks) };
	}

	it('two submitters send; only the requester’s key, also exported and imported, reads both', async () => {
		const requesterApi = new ApiClient(server.url);
		const config = await requesterApi.config();
		const created = await createFileRequest(requesterApi, {
			title: 'Signed contracts',
			message: 'One PDF each, please.',
			expiresIn: config.expiry.default,
			maxSubmissions: 2,
			maxSubmissionBytes: 1_000_000
		});
		const link = requestLink(server.url, created.id, created.secret);
		expect(link).toBe(`${server.url}/r/${created.id}#${created.secret}`);
		const [, fragment] = link.split('#');

		// Two submitters, each with only the link.
		const contents = [randomBytes(300_000), randomBytes(20_000)];
		const receipts: SubmissionReceipt[] = [];
		for (const [i, content] of contents.entries()) {
			const api = new ApiClient(server.url);
			const opened = await openFileRequest(api, created.id, fragment!);
			expect(opened.request).toEqual({ title: 'Signed contracts', message: 'One PDF each, please.' });
			const deps = await depsFor(api);
			receipts.push(await submitFiles(opened, [file(`contract-${i}.pdf`, content)], deps, i === 0 ? 'Signed on page 3' : undefined));
			// Nothing stays with the submitter that could read it back.
			expect(await deps.pending.list()).toEqual([]);
		}
		expect(receipts.map((r) => r.size)).toEqual([300_000 + 'Signed on page 3'.length, 20_000]);

		const listed = await listSubmissions(requesterApi, created);
		expect(listed.map((s) => s.id).sort()).toEqual(receipts.map((r) => r.id).sort());
		expect(listed.every((s) => s.state === 'ready')).toBe(true);

		const exported = JSON.stringify(await exportRequestKey(created.keys, 'moving to the laptop', { kdf: QUICK_KDF }));
		const imported = await importRequestKey(exported, 'moving to the laptop');
		for (const keys of [created.keys, imported]) {
			for (const [i, content] of contents.entries()) {
				const submission = listed.find((s) => s.id === receipts[i]!.id)!;
				const { metadata, bytes } = await read(requesterApi, keys, submission);
				expect(metadata.files.map((f) => f.name)).toEqual([`contract-${i}.pdf`]);
				expect(bytes.subarray(0, content.length).equals(content)).toBe(true);
				if (i === 0) expect(bytes.subarray(content.length).toString('utf8')).toBe('Signed on page 3');
			}
		}

		// Another key pair cannot: its secret fails the header's commitment.
		const stranger = await generateRequestKeyPair();
		await expect(openSubmission(requesterApi, { ...stranger, publicKey: created.keys.publicKey }, listed[0]!)).rejects.toMatchObject({
			code: 'WRONG_KEY'
		});

		// The request is full now: a third submitter is refused before any part is sent.
		const third = new ApiClient(server.url);
		const opened = await openFileRequest(third, created.id, fragment!);
		await expect(submitFiles(opened, [file('late.pdf', randomBytes(10))], await depsFor(third))).rejects.toMatchObject({
			code: 'REQUEST_FULL'
		});
	});

	it('an interrupted submission resumes like a share upload and opens for the requester', async () => {
		const requesterApi = new ApiClient(server.url);
		const config = await requesterApi.config();
		const created = await createFileRequest(requesterApi, {
			title: 'Scans',
			expiresIn: config.expiry.default,
			maxSubmissions: 1,
			maxSubmissionBytes: 1_000_000
		});
		const api = new ApiClient(server.url);
		const opened = await openFileRequest(api, created.id, created.secret);
		const deps = await depsFor(api);
		const content = randomBytes(50_000);
		const files = [file('scan.tif', content)];
		const job = await startUpload(
			{ files, expiresIn: 0, maxDownloads: 0, submission: { requestId: opened.id, requestKey: opened.publicKey } },
			deps
		);
		// The tab closed before any part: what the browser kept says it is a submission.
		const [pending] = await deps.pending.list();
		expect(pending).toMatchObject({ id: job.pending.id, requestId: created.id });
		const resumed = await resumeUpload(pending!, files);
		await runUpload(resumed!, deps);
		expect(await deps.pending.list()).toEqual([]);
		const [listed] = await listSubmissions(requesterApi, created);
		expect(listed!.id).toBe(job.pending.id);
		expect((await read(requesterApi, created.keys, listed!)).bytes.equals(content)).toBe(true);
	});

	it('a key swapped by the server is REQUEST_KEY_MISMATCH for the submitter, and nothing is sent', async () => {
		const requesterApi = new ApiClient(server.url);
		const config = await requesterApi.config();
		const created = await createFileRequest(requesterApi, {
			title: 'Logs',
			expiresIn: config.expiry.default,
			maxSubmissions: 5,
			maxSubmissionBytes: 100_000
		});
		const attacker = await generateRequestKeyPair();
		// A server (or anyone on the way) that serves its own key with the request.
		const swapping: typeof fetch = async (input, init) => {
			const response = await fetch(input, init);
			if (new URL(String(input)).pathname !== `/api/v1/requests/${created.id}` || init?.method !== 'GET') return response;
			const info = (await response.json()) as PublicRequestInfo;
			return Response.json({ ...info, publicKey: toBase64Url(attacker.publicKey) });
		};
		const submitter = new ApiClient(server.url, swapping);
		const error: unknown = await openFileRequest(submitter, created.id, created.secret).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(CryptoError);
		expect((error as CryptoError).code).toBe('REQUEST_KEY_MISMATCH');
		expect((await requesterApi.requestInfo(created.id)).submissions).toBe(0);
	});
});
