import { describe, expect, it } from 'vitest';
import { parseByteSize } from '../../server/byte-size';

/** The one byte-size parser, behind SEALDROP_*_BYTES, SEALDROP_MIN_UPLOAD_RATE and `user --quota-bytes`. */
describe('parseByteSize', () => {
	const cases: [string, number | null][] = [
		['0', 0],
		['1048576', 1048576],
		['1KiB', 1024],
		['512MiB', 512 * 1024 ** 2],
		['10GiB', 10 * 1024 ** 3],
		['2TiB', 2 * 1024 ** 4],
		['4 kib', 4096],
		['  3 MIB  ', 3 * 1024 ** 2],
		['', null],
		['MiB', null],
		['1.5GiB', null],
		['-1', null],
		['1GB', null], // decimal units are not accepted: GiB means 2^30, and GB would be ambiguous
		['1 PiB', null],
		['1KiB2', null],
		['off', null]
	];
	for (const [text, bytes] of cases) {
		it(`${JSON.stringify(text)} → ${bytes}`, () => expect(parseByteSize(text)).toBe(bytes));
	}

	it('leaves bounds to the caller: a huge size is returned unsafe, not clipped', () => {
		expect(Number.isSafeInteger(parseByteSize('99999999TiB'))).toBe(false);
		expect(parseByteSize('9'.repeat(400))).toBe(Infinity);
	});
});
