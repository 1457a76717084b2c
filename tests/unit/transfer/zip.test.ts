import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { FileEntry } from '../../../src/lib/crypto';
import type { DownloadSession } from '../../../src/lib/transfer/download';
import type { SaveSink } from '../../../src/lib/transfer/sinks';
import { saveZip, streamSink, zipFileName, zipNames, zipSize } from '../../../src/lib/transfer/zip';

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
	expect((await run('unzip', ['-t', zip], { maxBuffer: 1 << 20 })).stdout).toContain('No errors detected');
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
		expect(zipFileName(entries([['photos/a.jpg', 1], ['photos/b/c.jpg', 1]]))).toBe('photos.zip');
		expect(zipFileName(entries([['a.jpg', 1], ['b.jpg', 1]]))).toBe('sealdrop-files.zip');
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
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(written).toBeLessThanOrEqual(1);
		const got: number[] = [];
		for await (const chunk of stream) got.push(chunk[0]!);
		await writer;
		expect(got).toEqual([0, 1, 2, 3, 4]);
	});

	// ZIP64: more than 4 GiB. Minutes of CRC and 4+ GiB of disk, so only on request:
	//   SEALDROP_ZIP64=1 npx vitest run --project node tests/unit/transfer/zip.test.ts
	// `npm run bench -- --zip64` runs the same case end to end through the browser.
	it.runIf(process.env.SEALDROP_ZIP64 === '1')(
		'writes ZIP64 for a file over 4 GiB, which unzip accepts',
		async () => {
			await inTempDir(async (dir) => {
				const files = entries([
					['big.bin', 4 * 1024 ** 3 + 12345],
					['small.txt', 100]
				]);
				const zip = join(dir, 'big.zip');
				const { sink, ended } = fileSink(zip);
				await saveZip(fakeSession(null), files, sink, { lastModified: new Date() });
				expect(ended()).toBe('closed');
				await expectSoundZip(zip, files);
			});
		},
		30 * 60_000
	);
});
