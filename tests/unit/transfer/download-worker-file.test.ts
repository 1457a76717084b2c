import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSealdrop, type RunningSealdrop } from '../../../server/start';
import { ApiClient } from '../../../src/lib/api/client';
import { inlineBackend, type WorkerFile } from '../../../src/lib/transfer/crypto-backend';
import { DownloadSession, openShare } from '../../../src/lib/transfer/download';
import { memoryPendingUploads } from '../../../src/lib/uploads/pending-uploads';
import { uploadShare } from '../../../src/lib/transfer/upload';
import type { SaveSink } from '../../../src/lib/save/sinks';
import { listeningConfig, tempDir } from '../../server/helpers';

/**
 * A sink whose file is open in a crypto worker (the File System Access save): the worker writes
 * what it decrypts and the engine only hears lengths, from which it counts the bytes saved.
 */
describe('a download into a file written by a worker', () => {
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

	it('has the worker write the wanted bytes and counts just those, never handing plaintext to the page', async () => {
		const api = new ApiClient(server.url);
		const content = randomBytes(3 * 1024 * 1024 + 123);
		const done = await uploadShare(
			{ files: [new File([content], 'a.bin')], expiresIn: 3600, maxDownloads: 1 },
			{ api, config: await api.config(), crypto: inlineBackend, pending: memoryPendingUploads() }
		);
		// What the worker does, in process: decrypt, write [start, end) of the share, answer the length.
		const written: Buffer[] = [];
		const file: WorkerFile = {
			failed: false,
			openRange(request, start, end) {
				const reader = inlineBackend.openRange(request);
				let position = request.firstRecord * request.layout.recordSize;
				return {
					async read() {
						const chunk = await reader.read();
						if (!chunk) return null;
						const at = position;
						position += chunk.byteLength;
						const from = Math.max(start, at);
						const to = Math.min(end, position);
						if (to > from) written.push(Buffer.from(chunk.subarray(from - at, to - at)));
						return chunk.byteLength;
					},
					close: () => reader.close()
				};
			},
			write: () => Promise.reject(new Error('The page was handed plaintext.')),
			close: async () => {},
			abort: async () => {}
		};
		const heard: number[] = [];
		const sink: SaveSink = {
			file,
			wrote: (bytes) => heard.push(bytes),
			write: (chunk) => file.write(chunk),
			close: () => file.close(),
			abort: () => file.abort()
		};
		// Not on record boundaries: the first and last records hold bytes that are not wanted.
		const start = 70_000;
		const end = content.length - 50_000;
		let progress = 0;
		const session = new DownloadSession(await openShare(api, done.id, done.secret), { api, crypto: inlineBackend });
		await session.save(start, end, sink, (p) => (progress = p.done));
		expect(Buffer.concat(written).equals(content.subarray(start, end))).toBe(true);
		expect(heard.reduce((a, b) => a + b, 0)).toBe(end - start);
		expect(progress).toBe(end - start);
	});
});
