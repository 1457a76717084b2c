import { describe, expect, it } from 'vitest';
import { parseByteRange, type ByteRange } from '../../src/lib/byte-range';
import { mediaRange } from '../../src/lib/service-worker/sw-preview';

/**
 * The one Range parser, used by the server's blob route (server/routes/downloads.ts) and by the
 * service worker's media previews (sw-preview.ts). How each side answers what it parses is at the
 * end of this file (the worker) and in tests/server/download.test.ts (the server: 206/416/200).
 */
describe('parseByteRange (size 1000)', () => {
	const full: ByteRange = { kind: 'full' };
	const unsatisfiable: ByteRange = { kind: 'unsatisfiable' };
	const part = (start: number, end: number): ByteRange => ({ kind: 'partial', start, end });
	const cases: [string | null | undefined, ByteRange][] = [
		// No header.
		[undefined, full],
		[null, full],
		// One range; `end` is exclusive.
		['bytes=0-99', part(0, 100)],
		['bytes=999-999', part(999, 1000)],
		// Open-ended.
		['bytes=500-', part(500, 1000)],
		['bytes=0-', part(0, 1000)],
		// Suffix: the last N bytes, all of them if N is more than the size.
		['bytes=-500', part(500, 1000)],
		['bytes=-1', part(999, 1000)],
		['bytes=-5000', part(0, 1000)],
		// Beyond the end: an end past it is clipped; a start at or past it cannot be served.
		['bytes=990-5000', part(990, 1000)],
		['bytes=0-99999999999999999999', part(0, 1000)],
		['bytes=1000-', unsatisfiable],
		['bytes=1000-2000', unsatisfiable],
		['bytes=99999999999999999999-', unsatisfiable],
		['bytes=-0', unsatisfiable],
		// Several ranges: reported as such, for each side to decide.
		['bytes=0-1,5-6', { kind: 'multiple' }],
		['bytes=0-1, -5', { kind: 'multiple' }],
		['bytes=0-1,2000-3000', { kind: 'multiple' }],
		// Whitespace and case around the unit, the `=` and each range; empty list items are skipped.
		['BYTES = 5-6', part(5, 7)],
		['  bytes=5-6  ', part(5, 7)],
		['bytes= 5-6 ,', part(5, 7)],
		// Malformed: ignored (RFC 9110 §14.2), so the whole resource.
		['bytes=5 - 6', full],
		['bytes=abc', full],
		['bytes=5-2', full],
		['bytes=0-1,5-2', full],
		['bytes=', full],
		['bytes=-', full],
		['bytes=--5', full],
		['bytes=0-1,x', full],
		['bytes=1.5-2', full],
		['items=0-1', full],
		['bytes 0-1', full],
		['0-1', full],
		['', full]
	];
	for (const [header, expected] of cases) {
		it(`${JSON.stringify(header)} → ${JSON.stringify(expected)}`, () => {
			expect(parseByteRange(header, 1000)).toEqual(expected);
		});
	}
});

describe('parseByteRange on a zero-length resource', () => {
	it('has no byte to start from, and no last bytes to send: the empty whole for a suffix', () => {
		expect(parseByteRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
		expect(parseByteRange('bytes=0-0', 0)).toEqual({ kind: 'unsatisfiable' });
		expect(parseByteRange('bytes=-500', 0)).toEqual({ kind: 'full' });
		expect(parseByteRange('bytes=-0', 0)).toEqual({ kind: 'unsatisfiable' });
		expect(parseByteRange(null, 0)).toEqual({ kind: 'full' });
	});
});

describe('the service worker’s answer to a media element’s Range', () => {
	it('serves one range as 206, the whole file as 200 (no header, malformed or several ranges), refuses the rest', () => {
		expect(mediaRange('bytes=10-19', 100)).toEqual({ start: 10, end: 20, partial: true });
		expect(mediaRange('bytes=0-', 100)).toEqual({ start: 0, end: 100, partial: true });
		expect(mediaRange(null, 100)).toEqual({ start: 0, end: 100, partial: false });
		expect(mediaRange('bytes=5-4', 100)).toEqual({ start: 0, end: 100, partial: false });
		// The server refuses several ranges with 416; the worker serves the whole file instead.
		expect(mediaRange('bytes=0-1,5-6', 100)).toEqual({ start: 0, end: 100, partial: false });
		expect(mediaRange('bytes=100-', 100)).toBeNull();
		expect(mediaRange('bytes=-500', 0)).toEqual({ start: 0, end: 0, partial: false });
	});
});
