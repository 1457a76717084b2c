import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSealdrop, type RunningSealdrop } from '../../../server/start';
import { ApiClient } from '../../../src/lib/api/client';
import { inlineBackend, type CryptoBackend } from '../../../src/lib/transfer/crypto-backend';
import { DownloadSession, openShare } from '../../../src/lib/transfer/download';
import { memoryPendingUploads } from '../../../src/lib/uploads/pending-uploads';
import { uploadShare } from '../../../src/lib/transfer/upload';
import { listeningConfig, tempDir } from '../../server/helpers';

/**
 * The download engine asks its reader for the next chunk while the sink still writes the last
 * one, so that the worker's hand-off and the write overlap (issue 17: download pipelining).
 */
describe('download pipelining', () => {
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

	it('reads the next chunk before the current write finishes, and still writes every byte in order', async () => {
		const api = new ApiClient(server.url);
		const content = randomBytes(3 * 1024 * 1024 + 123);
		const done = await uploadShare(
			{ files: [new File([content], 'a.bin')], expiresIn: 3600, maxDownloads: 1 },
			{ api, config: await api.config(), crypto: inlineBackend, pending: memoryPendingUploads() }
		);
		let reads = 0;
		const counting: CryptoBackend = {
			...inlineBackend,
			openRange(request) {
				const reader = inlineBackend.openRange(request);
				return { read: () => (reads++, reader.read()), close: () => reader.close() };
			}
		};
		const readsDuringWrites: number[] = [];
		const chunks: Buffer[] = [];
		const sink = {
			async write(chunk: Uint8Array) {
				chunks.push(Buffer.from(chunk));
				// Let the reader's request (if any was made) be counted before this write ends.
				await new Promise((resolve) => setImmediate(resolve));
				readsDuringWrites.push(reads);
			},
			close: async () => {},
			abort: async () => {}
		};
		const session = new DownloadSession(await openShare(api, done.id, done.secret), { api, crypto: counting });
		await session.save(0, content.length, sink);
		expect(Buffer.concat(chunks).equals(content)).toBe(true);
		// During the n-th write (1-based), n + 1 reads were asked for.
		expect(readsDuringWrites.length).toBeGreaterThan(1);
		readsDuringWrites.forEach((count, i) => expect(count).toBe(i + 2));
	});
});
