import { randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskSource } from '../../../cli/node-backend';
import { collectSources } from '../../../cli/sources';
import type { CliIo } from '../../../cli/io';
import { tempDir } from '../../server/helpers';

const GiB = 1024 ** 3;

/** The CLI's files past 4 GiB, with a sparse file (no disk space used). */
describe('sealdrop send: files from 4 GiB on', () => {
	let dir: string;
	const size = 4 * GiB + 3 * 1024 * 1024 + 5;
	const tail = randomBytes(2 * 1024 * 1024);
	beforeAll(async () => {
		dir = await tempDir('sealdrop-sparse-');
		const fh = await open(join(dir, 'big.bin'), 'w');
		await fh.truncate(size);
		await fh.write(tail, 0, tail.length, size - tail.length);
		await fh.close();
	});
	afterAll(() => rm(dir, { recursive: true, force: true }));

	it('has its real size (fs.openAsBlob gave it modulo 2^32) and is read right past 2^32', async () => {
		const [source] = await collectSources(['big.bin'], { cwd: dir } as CliIo);
		expect(source!.file.size).toBe(size);
		const disk = new DiskSource();
		try {
			const note = new TextEncoder().encode('note');
			const content = disk.content([source!.file], note);
			expect(content.size).toBe(size + note.length);
			const from = size - tail.length - 10;
			const bytes = await content.read(from, tail.length + 10 + note.length);
			expect(Buffer.from(bytes.subarray(0, 10)).equals(Buffer.alloc(10))).toBe(true);
			expect(Buffer.from(bytes.subarray(10, 10 + tail.length)).equals(tail)).toBe(true);
			expect(new TextDecoder().decode(bytes.subarray(10 + tail.length))).toBe('note');
		} finally {
			await disk.close();
		}
	});
});
