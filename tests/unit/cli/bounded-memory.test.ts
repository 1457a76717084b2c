import { randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DiskSource, GET_AHEAD_BYTES, SEND_AHEAD_BYTES, nodeBackend } from '../../../cli/node-backend';
import { collectSources } from '../../../cli/sources';
import type { CliIo } from '../../../cli/io';
import { concatBytes, encryptBlobRecords, layoutForPlainSize } from '../../../src/lib/crypto';
import { tempDir } from '../../server/helpers';

const KiB = 1024;
const MiB = 1024 * KiB;
const R = 64 * KiB;
/** The CipherReader gathers network chunks into 1 MiB batches before they count as in flight. */
const BATCH = MiB;
const CHUNK = 64 * KiB;

const aesKey = () => crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);

/**
 * The CLI's memory bounds (docs/CLI.md, "Speed and memory"): every plaintext and sealed record is
 * a fresh WebCrypto buffer, so the bytes in flight decide the peak RSS.
 */
describe('sealdrop: bytes in flight', () => {
	afterEach(() => vi.unstubAllGlobals());

	it('get reads the body only GET_AHEAD_BYTES ahead of what was written', async () => {
		const key = await aesKey();
		const plain = randomBytes(16 * MiB);
		const layout = layoutForPlainSize(plain.length, R);
		const sealed: Uint8Array[] = [];
		for await (const r of encryptBlobRecords(key, new Blob([plain]), layout, 0, layout.records)) sealed.push(r);
		const cipher = concatBytes(...sealed);
		// The server's side of the connection, counted: a real socket would hide what the kernel buffers.
		let pulled = 0;
		vi.stubGlobal('fetch', async () => {
			const body = new ReadableStream<Uint8Array>(
				{
					pull(controller) {
						if (pulled >= cipher.length) return controller.close();
						controller.enqueue(cipher.slice(pulled, pulled + CHUNK));
						pulled += Math.min(CHUNK, cipher.length - pulled);
					}
				},
				{ highWaterMark: 0 }
			);
			return new Response(body, { status: 206 });
		});
		const reader = nodeBackend.openRange({
			origin: 'http://sealdrop.test',
			id: 'x',
			ticket: 't',
			key,
			layout,
			firstRecord: 0,
			endRecord: layout.records
		});
		const bound = GET_AHEAD_BYTES + BATCH + CHUNK;
		let delivered = 0;
		const out: Uint8Array[] = [];
		try {
			// Nothing is read from the reader until the first plaintext is there: without the bound the
			// body is read whole meanwhile (decryption takes longer than pulling queued chunks).
			for (let chunk = await reader.read(); chunk !== null; chunk = await reader.read()) {
				expect(pulled - delivered).toBeLessThanOrEqual(bound + MiB);
				delivered += chunk.byteLength;
				out.push(chunk);
			}
		} finally {
			reader.close();
		}
		expect(Buffer.from(concatBytes(...out)).equals(plain)).toBe(true);
		expect(GET_AHEAD_BYTES).toBeLessThanOrEqual(2 * MiB); // measured: 8 MiB (the browser's) cost ~40 MiB of RSS
	});

	describe('send', () => {
		let dir: string;
		beforeAll(async () => {
			dir = await tempDir('sealdrop-ahead-');
			const fh = await open(join(dir, 'a.bin'), 'w');
			await fh.write(randomBytes(4 * MiB));
			await fh.close();
		});
		afterAll(() => rm(dir, { recursive: true, force: true }));

		it('seals only SEND_AHEAD_BYTES of records ahead of the request body', async () => {
			const [source] = await collectSources(['a.bin'], { cwd: dir } as CliIo);
			const disk = new DiskSource();
			try {
				const content = disk.content([source!.file], new Uint8Array());
				// One record per read, so that the reads count the records being sealed.
				let reads = 0;
				const counted = { ...content, readBytes: R, read: (offset: number, length: number) => (reads++, content.read(offset, length)) };
				const layout = layoutForPlainSize(content.size, R);
				const records = encryptBlobRecords(await aesKey(), counted, layout, 0, layout.records);
				await records.next();
				// The records scheduled, plus the next one's prefetch (the default, 2 MiB, schedules 32).
				expect(reads).toBeLessThanOrEqual(SEND_AHEAD_BYTES / R + 2);
				await records.return(undefined);
			} finally {
				await disk.close();
			}
		});
	});
});
