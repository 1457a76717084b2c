import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { FileEntry } from '../../../src/lib/crypto';
import type { DownloadSession } from '../../../src/lib/transfer/download';
import type { SaveSink } from '../../../src/lib/save/sinks';
import { saveZip, streamSink, zipFileName, zipNames, zipSize } from '../../../src/lib/save/zip';
import { quiescent } from '../../support/wait';

const run = promisify(execFile);

/**
 * Stands in for a DownloadSession: plaintext byte i of the share is `byteAt(i)` (zero without it),
 * in 1 MiB chunks.
 */
function fakeSession(byteAt: ((i: number) => number) | null, failAt?: number): DownloadSession {
	return {
		async save(start: number, end: number, sink: SaveSink) {
			try {
				for (let at = start; at < end; at += 1 << 20) {
					if (failAt !== undefined && at + (1 << 20) > failAt) throw Object.assign(new Error('tampered'), { code: 'TAMPERED' });
					const chunk = new Uint8Array(Math.min(1 << 20, end - at));
					if (byteAt) for (let i = 0; i < chunk.length; i++) chunk[i] = byteAt(at + i);
					await sink.write(chunk);
				}
				await sink.close();
			} catch (err) {
				await sink.abort(err);
				throw err;
			}
		}
	} as unknown as DownloadSession;
}

function entries(sizes: [string, number][]): FileEntry[] {
	let offset = 0;
	return sizes.map(([name, size]) => {
		const entry = { name, size, type: '', offset };
		offset += size;
		return entry;
	});
}

/**
 * A sink writing to a file, recording how it ended. With `takesBuffers` it detaches each chunk's
 * buffer after copying it, as the service-worker sink does when it transfers a chunk.
 */
function fileSink(path: string, takesBuffers = false): { sink: SaveSink; ended: () => string } {
	const out = createWriteStream(path);
	let ended = 'open';
	return {
		ended: () => ended,
		sink: {
			write: (chunk) => {
				const copy = Buffer.from(chunk);
				if (takesBuffers) structuredClone(chunk.buffer, { transfer: [chunk.buffer as ArrayBuffer] });
				return new Promise<void>((resolve, reject) => out.write(copy, (e) => (e ? reject(e) : resolve())));
			},
			close: () => new Promise<void>((resolve) => out.end(() => ((ended = 'closed'), resolve()))),
			abort: async () => {
				ended = 'aborted';
				out.destroy();
			}
		}
	};
}

const byte = (i: number) => (i * 31 + (i >> 9)) & 0xff;

/** Runs `test` in a fresh temporary directory, removed afterwards whatever happens. */
async function inTempDir(test: (dir: string) => Promise<void>): Promise<void> {
	const dir = await mkdtemp(join(tmpdir(), 'sealdrop-zip-'));
	try {
		await test(dir);
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
}

/** The ZIP at `zip` has exactly the predicted size, and `unzip -t` finds no errors in it. */
async function expectSoundZip(zip: string, files: FileEntry[]): Promise<void> {
	expect((await stat(zip)).size).toBe(zipSize(files));
	// -q: one line whatever the number of entries; a damaged ZIP exits non-zero, which rejects.
	expect((await run('unzip', ['-tq', zip])).stdout).toContain('No errors detected');
}

describe('ZIP of a share', () => {
	it('streams a ZIP that unzip accepts, of exactly the predicted size, with every file intact', async () => {
		await inTempDir(async (dir) => {
			const files = entries([
				['a.bin', 3_000_000],
				['docs/b.txt', 10],
				['empty', 0],
				['docs/b.txt', 70_000]
			]);
			expect(zipNames(files)).toEqual(['a.bin', 'docs/b.txt', 'empty', 'docs/b (2).txt']);
			const zip = join(dir, 'out.zip');
			const { sink, ended } = fileSink(zip);
			const seen: string[] = [];
			await saveZip(fakeSession(byte), files, sink, { lastModified: new Date(Date.UTC(2030, 0, 1)), onFile: (f) => seen.push(f.name) });
			expect(ended()).toBe('closed');
			expect(seen).toEqual(files.map((f) => f.name));
			await expectSoundZip(zip, files);
			await run('unzip', ['-q', zip, '-d', join(dir, 'x')]);
			for (const [i, file] of files.entries()) {
				const expected = createHash('sha256');
				const bytes = Buffer.alloc(file.size);
				for (let j = 0; j < file.size; j++) bytes[j] = byte(file.offset + j);
				expected.update(bytes);
				const { stdout } = await run('sha256sum', [join(dir, 'x', zipNames(files)[i]!)]);
				expect(stdout.split(' ')[0]).toBe(expected.digest('hex'));
			}
		});
	});

	it('completes into a sink that takes the chunks it is given (the service-worker sink transfers them)', async () => {
		await inTempDir(async (dir) => {
			const files = entries([
				['a.bin', 3_000_000],
				['b.txt', 100]
			]);
			const zip = join(dir, 'out.zip');
			const { sink, ended } = fileSink(zip, true);
			await saveZip(fakeSession(byte), files, sink, { lastModified: new Date(Date.UTC(2030, 0, 1)) });
			expect(ended()).toBe('closed');
			await expectSoundZip(zip, files);
		});
	});

	it('aborts the sink (never closes it) when a file fails to decrypt', async () => {
		await inTempDir(async (dir) => {
			const files = entries([
				['a.bin', 2_000_000],
				['b.bin', 3_000_000]
			]);
			const { sink, ended } = fileSink(join(dir, 'bad.zip'));
			await expect(saveZip(fakeSession(byte, 3_500_000), files, sink, { lastModified: new Date() })).rejects.toMatchObject({
				code: 'TAMPERED'
			});
			expect(ended()).toBe('aborted');
		});
	});

	it('names the ZIP after a single top folder', () => {
		expect(
			zipFileName(
				entries([
					['photos/a.jpg', 1],
					['photos/b/c.jpg', 1]
				])
			)
		).toBe('photos.zip');
		expect(
			zipFileName(
				entries([
					['a.jpg', 1],
					['b.jpg', 1]
				])
			)
		).toBe('sealdrop-files.zip');
	});

	it('streamSink holds one chunk at a time: write waits for the reader', async () => {
		const { stream, sink } = streamSink();
		let written = 0;
		const writer = (async () => {
			for (let i = 0; i < 5; i++) {
				await sink.write(new Uint8Array([i]));
				written++;
			}
			await sink.close();
		})();
		// The writer and the stream run on promises alone: once they are quiescent, the writer has
		// gone as far as it can without a reader. Each read lets exactly one more write finish.
		const reader = stream.getReader();
		await quiescent();
		expect(written).toBe(0);
		const got: number[] = [];
		for (let i = 0; i < 5; i++) {
			const { value } = await reader.read();
			got.push(value![0]!);
			await quiescent();
			expect(written).toBe(i + 1);
		}
		expect((await reader.read()).done).toBe(true);
		await writer;
		expect(got).toEqual([0, 1, 2, 3, 4]);
	});

	// ZIP64 because of size (a file over 4 GiB) takes minutes of CRC and 4+ GiB of disk, more
	// than a CI run should spend: `npm run bench -- --zip64` checks it end to end, through the
	// browser, with unzip. Here: the layout such a ZIP must have, and a real ZIP64 by count.

	/** The size a ZIP of stored entries with data descriptors must have, from APPNOTE's layout. */
	function expectedZipSize(files: FileEntry[]): number {
		const MAX = 0xffffffff;
		let offset = 0;
		let directory = 0;
		let zip64 = files.length > 0xffff;
		const names = zipNames(files);
		for (const [i, file] of files.entries()) {
			const name = Buffer.byteLength(names[i]!);
			const big = file.size >= MAX;
			zip64 ||= big;
			// Central directory: ZIP64 extra with both sizes and the offset (28), or the offset alone (12).
			directory += 46 + name + (big ? 28 : offset >= MAX ? 12 : 0);
			// Local header, name, data, data descriptor (64-bit sizes in a ZIP64 one).
			offset += 30 + name + file.size + (big ? 24 : 16);
		}
		zip64 ||= offset >= MAX;
		return offset + directory + (zip64 ? 56 + 20 : 0) + 22;
	}

	it('predicts the ZIP64 layout for files of 4 GiB and more, and for more than 65 535 files', () => {
		const many = (n: number, size = 1) => entries(Array.from({ length: n }, (_, i): [string, number] => [`d/${i}`, size]));
		const cases: Record<string, FileEntry[]> = {
			small: entries([
				['a.bin', 1000],
				['b.txt', 10]
			]),
			'one byte under 4 GiB in all': entries([['a', 0xffffffff - 100]]),
			'a file of exactly 0xFFFFFFFF bytes': entries([['a', 0xffffffff]]),
			'a file over 4 GiB and one after it': entries([
				['big.bin', 4 * 1024 ** 3 + 12_345],
				['small.txt', 100]
			]),
			'4 GiB in small files': many(5, 0x40000000),
			'65 535 files': many(65_535),
			'65 536 files': many(65_536),
			'70 000 files, one over 4 GiB': [...many(69_999), { name: 'big', size: 5 * 1024 ** 3, type: '', offset: 69_999 }]
		};
		for (const [label, files] of Object.entries(cases)) expect(zipSize(files), label).toBe(expectedZipSize(files));
		// Spelled out for the big one: 30 + 7 + data + 24, then 30 + 9 + 100 + 16; directory 46 + 7 + 28
		// and 46 + 9 + 12 (its offset is past 4 GiB); ZIP64 end records 56 + 20; end record 22.
		expect(zipSize(cases['a file over 4 GiB and one after it']!)).toBe(4 * 1024 ** 3 + 12_345 + 61 + 155 + 81 + 67 + 76 + 22);
	});

	it('writes ZIP64 end records for more than 65 535 files, which unzip accepts', async () => {
		await inTempDir(async (dir) => {
			const files = entries(Array.from({ length: 65_537 }, (_, i): [string, number] => [`d/${i}`, 1]));
			const zip = join(dir, 'many.zip');
			// In memory, then one write: a file sink would make some 260 000 tiny writes.
			const chunks: Uint8Array[] = [];
			let closed = false;
			const sink: SaveSink = {
				write: async (chunk) => void chunks.push(chunk.slice()),
				close: async () => void (closed = true),
				abort: async () => {}
			};
			await saveZip(fakeSession(byte), files, sink, { lastModified: new Date(Date.UTC(2030, 0, 1)) });
			expect(closed).toBe(true);
			const bytes = Buffer.concat(chunks);
			await writeFile(zip, bytes);
			// The last 98 bytes: the ZIP64 end record with the true count, its locator, the end record.
			const tail = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 98, 98);
			expect(tail.getUint32(0, true).toString(16)).toBe('6064b50');
			expect(tail.getBigUint64(32, true)).toBe(65_537n);
			expect(tail.getUint32(56, true).toString(16)).toBe('7064b50');
			expect(Number(tail.getBigUint64(64, true))).toBe(bytes.length - 98);
			expect(tail.getUint32(76, true).toString(16)).toBe('6054b50');
			await expectSoundZip(zip, files);
		});
	}, 60_000);
});
