import { randomBytes } from 'node:crypto';
import { mkdir, readFile, symlink, unlink } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLink } from '../../../cli/common';
import { EXIT, saveError, toCliError } from '../../../cli/errors';
import { CliHarness } from './harness';

/** `sealdrop get` when the download folder cannot take the file: a full disk, a refused write. */
describe('sealdrop get: a failed write into the download folder', () => {
	const h = new CliHarness();
	beforeAll(() => h.start());
	afterAll(() => h.close());

	it('a full disk (a real ENOSPC, from /dev/full) says so with the folder; the same command run again finishes, spending nothing more', async () => {
		const a = randomBytes(70_000);
		const b = randomBytes(90_000);
		await h.write('in/a.bin', a);
		await h.write('in/b.bin', b);
		const sent = await h.run(['send', 'in/a.bin', 'in/b.bin']);
		expect(sent.code, sent.stderr).toBe(0);
		const link = sent.stdout.trim();
		const { id } = parseLink(link);
		const out = h.path('out');
		await mkdir(out);
		// b.bin's partial file is where the kernel answers every write with ENOSPC, as a full disk does.
		const partial = h.path('out', `.sealdrop-${id}-1.part`);
		await symlink('/dev/full', partial);

		const full = await h.run(['get', link, '-o', 'out']);
		expect(full.code).toBe(EXIT.LOCAL_IO);
		expect(full.stderr).toBe(
			`sealdrop: There is not enough free space in ${out} to save the download (ENOSPC). ` +
				'Free some space, then run the same command again: it continues from the bytes saved. [DISK_FULL]\n'
		);
		expect(await readFile(h.path('out', 'a.bin'))).toEqual(a);

		await unlink(partial); // space freed
		const claims = () => h.requests.filter((r) => r.url.endsWith('/claim')).length;
		const blobs = () => h.requests.filter((r) => r.url.endsWith('/blob')).length;
		const [claimed, fetched] = [claims(), blobs()];
		const again = await h.run(['get', link, '-o', 'out']);
		expect(again.code, again.stderr).toBe(0);
		expect(await readFile(h.path('out', 'a.bin'))).toEqual(a);
		expect(await readFile(h.path('out', 'b.bin'))).toEqual(b);
		expect(claims()).toBe(claimed); // the first run's ticket: no second download spent
		expect(blobs() - fetched).toBe(1); // only b.bin's bytes: a.bin was kept, not fetched again
	});

	// SIMULATED errno errors: the tests run as root, which no chmod refuses, and no read-only mount is at hand.
	for (const [errno, code] of [
		['EDQUOT', 'DISK_FULL'],
		['EACCES', 'SAVE_DENIED'],
		['EPERM', 'SAVE_DENIED'],
		['EROFS', 'SAVE_DENIED']
	] as const) {
		it(`${errno} writing into the folder is ${code} (exit 7), naming the folder and what to do`, () => {
			const err = Object.assign(new Error(`${errno}: failed, open '/data/x.part'`), { code: errno, syscall: 'open' });
			const told = toCliError(saveError(err, '/data'));
			expect(told).toMatchObject({ code, exit: EXIT.LOCAL_IO });
			expect(told.message).toContain('/data');
			expect(told.message).toContain('run the same command again');
		});
	}

	it('leaves other system errors as they were', () => {
		const err = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO', syscall: 'write' });
		expect(saveError(err, '/data')).toBe(err);
		expect(toCliError(err)).toMatchObject({ code: 'EIO', exit: EXIT.LOCAL_IO });
	});
});
