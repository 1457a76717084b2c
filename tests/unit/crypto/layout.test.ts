import { describe, expect, it } from 'vitest';
import {
	cipherRangeForPlain,
	CryptoError,
	DEFAULT_RECORD_SIZE,
	layoutForCipherSize,
	layoutForPlainSize,
	recordCipherOffset,
	recordCipherSize,
	recordPlainSize
} from '../../../src/lib/crypto';
import { expectCryptoError } from './helpers';

const R = 1024;
const S = R + 16;

describe('layoutForPlainSize', () => {
	it.each([
		[0, 1, 16],
		[1, 1, 17],
		[R - 1, 1, R + 15],
		[R, 1, S],
		[R + 1, 2, S + 17],
		[3 * R + 5, 4, 3 * S + 21],
		[10 * R, 10, 10 * S]
	])('n = %i → N = %i, C = %i (R = 1024)', (plainSize, records, cipherSize) => {
		expect(layoutForPlainSize(plainSize, R)).toEqual({ recordSize: R, plainSize, cipherSize, records });
	});

	it('a 10 GiB file at the default record size has 163 840 records', () => {
		const layout = layoutForPlainSize(10 * 2 ** 30, DEFAULT_RECORD_SIZE);
		expect(layout.records).toBe(163840);
		expect(layout.cipherSize).toBe(10 * 2 ** 30 + 16 * 163840);
	});

	it('handles sizes far beyond 2^32 exactly', () => {
		const plainSize = 2 ** 50 + 12345;
		const layout = layoutForPlainSize(plainSize, R);
		expect(layout.records).toBe(2 ** 40 + 13);
		expect(layout.cipherSize).toBe(plainSize + 16 * (2 ** 40 + 13));
		expect(layoutForCipherSize(layout.cipherSize, R)).toEqual(layout);
	});

	it.each([-1, 1.5, NaN, Infinity, 2 ** 53])('rejects plaintext size %s', async (size) => {
		await expectCryptoError(() => layoutForPlainSize(size, R), 'BAD_SIZE');
	});

	it.each([0, 1023, 16777217, 1024.5])('rejects record size %s', async (recordSize) => {
		await expectCryptoError(() => layoutForPlainSize(10, recordSize), 'BAD_SIZE');
	});
});

describe('layoutForCipherSize', () => {
	it('inverts layoutForPlainSize and rejects exactly the sizes no plaintext maps to (all C ≤ 5·S)', () => {
		const valid = new Map<number, number>();
		for (let n = 0; n <= 5 * R; n++) valid.set(layoutForPlainSize(n, R).cipherSize, n);
		let rejected = 0;
		for (let c = 0; c <= 5 * S; c++) {
			const n = valid.get(c);
			if (n === undefined) {
				let error: unknown;
				try {
					layoutForCipherSize(c, R);
				} catch (e) {
					error = e;
				}
				expect(error instanceof CryptoError && error.code === 'BAD_SIZE', `C = ${c} must be BAD_SIZE`).toBe(true);
				rejected++;
			} else {
				expect(layoutForCipherSize(c, R).plainSize).toBe(n);
			}
		}
		// 0..15, and for each N = 2..5 the 16 sizes whose last record would be 1..16 bytes (no plaintext)
		expect(rejected).toBe(16 + 4 * 16);
	});

	it.each([
		['below one tag', 15],
		['a full record plus an empty one', S + 16],
		['a full record plus a partial tag', S + 7],
		['negative', -16],
		['fractional', 16.5],
		['beyond 2^53', 2 ** 53]
	])('rejects %s', async (_, size) => {
		await expectCryptoError(() => layoutForCipherSize(size, R), 'BAD_SIZE');
	});

	it('accepts the empty share (one 16-byte record)', () => {
		expect(layoutForCipherSize(16, R)).toEqual({ recordSize: R, plainSize: 0, cipherSize: 16, records: 1 });
	});
});

describe('per-record sizes', () => {
	const layout = layoutForPlainSize(3 * R + 5, R);
	it('gives full records then the remainder', () => {
		expect([0, 1, 2, 3].map((i) => recordPlainSize(layout, i))).toEqual([R, R, R, 5]);
		expect([0, 1, 2, 3].map((i) => recordCipherSize(layout, i))).toEqual([S, S, S, 21]);
		expect([0, 1, 3, 4].map((i) => recordCipherOffset(layout, i))).toEqual([0, S, 3 * S, layout.cipherSize]);
	});
});

describe('cipherRangeForPlain', () => {
	const layout = layoutForPlainSize(3 * R + 5, R); // records 0..3, C = 3·S + 21

	it.each([
		// start, end → firstRecord, endRecord, cipherStart, cipherEnd, skip, take
		[0, 1, 0, 1, 0, S, 0, 1],
		[0, R, 0, 1, 0, S, 0, R],
		[0, R + 1, 0, 2, 0, 2 * S, 0, R + 1],
		[R - 1, R + 1, 0, 2, 0, 2 * S, R - 1, 2],
		[R, 2 * R, 1, 2, S, 2 * S, 0, R],
		[R + 10, 2 * R - 10, 1, 2, S, 2 * S, 10, R - 20],
		[2 * R + 1, 3 * R + 5, 2, 4, 2 * S, 3 * S + 21, 1, R + 4],
		[3 * R, 3 * R + 5, 3, 4, 3 * S, 3 * S + 21, 0, 5],
		[3 * R + 4, 3 * R + 5, 3, 4, 3 * S, 3 * S + 21, 4, 1],
		[0, 3 * R + 5, 0, 4, 0, 3 * S + 21, 0, 3 * R + 5]
	])('[%i, %i) → records [%i, %i), bytes [%i, %i), skip %i, take %i', (start, end, ...expected) => {
		const [firstRecord, endRecord, cipherStart, cipherEnd, skip, take] = expected;
		expect(cipherRangeForPlain(layout, start, end)).toEqual({ firstRecord, endRecord, cipherStart, cipherEnd, skip, take });
	});

	it.each([
		['at the start', 0, 0, 0],
		['inside record 1', R + 5, 1, S],
		['on a record boundary', 2 * R, 2, 2 * S],
		['at the end', 3 * R + 5, 3, 3 * S]
	])('an empty range %s covers no records', (_, at, record, offset) => {
		expect(cipherRangeForPlain(layout, at, at)).toEqual({
			firstRecord: record,
			endRecord: record,
			cipherStart: offset,
			cipherEnd: offset,
			skip: 0,
			take: 0
		});
	});

	it('an empty range at the end of a stream of full records points past the last record', () => {
		const full = layoutForPlainSize(2 * R, R);
		expect(cipherRangeForPlain(full, 2 * R, 2 * R)).toMatchObject({
			firstRecord: 2,
			endRecord: 2,
			cipherStart: 2 * S,
			cipherEnd: 2 * S
		});
	});

	it('agrees with the definition for every range of a small stream', () => {
		const small = layoutForPlainSize(3 * R + 5, R);
		const points = [0, 1, 2, R - 1, R, R + 1, 2 * R - 1, 2 * R, 2 * R + 1, 3 * R - 1, 3 * R, 3 * R + 1, 3 * R + 5];
		for (const start of points) {
			for (const end of points) {
				if (end <= start) continue;
				const range = cipherRangeForPlain(small, start, end);
				// The records hold bytes [firstRecord·R, min(endRecord·R, n)), which must cover [start, end) tightly.
				expect(range.firstRecord * R).toBeLessThanOrEqual(start);
				expect((range.firstRecord + 1) * R).toBeGreaterThan(start);
				expect(Math.min(range.endRecord * R, small.plainSize)).toBeGreaterThanOrEqual(end);
				expect((range.endRecord - 1) * R).toBeLessThan(end);
				expect(range.cipherEnd - range.cipherStart).toBe(
					Math.min(range.endRecord * R, small.plainSize) - range.firstRecord * R + 16 * (range.endRecord - range.firstRecord)
				);
				const coveredPlain = range.cipherEnd - range.cipherStart - 16 * (range.endRecord - range.firstRecord);
				expect(range.skip + range.take).toBeLessThanOrEqual(coveredPlain);
			}
		}
	});

	it('works past 2^32 records', () => {
		const huge = layoutForPlainSize(2 ** 52, R);
		const start = 2 ** 52 - 3 * R - 7; // the last 7 bytes of record 2^42 − 4, then 3 of the next
		expect(cipherRangeForPlain(huge, start, start + 10)).toEqual({
			firstRecord: 2 ** 42 - 4,
			endRecord: 2 ** 42 - 2,
			cipherStart: (2 ** 42 - 4) * S,
			cipherEnd: (2 ** 42 - 2) * S,
			skip: R - 7,
			take: 10
		});
	});

	it.each([
		[-1, 5],
		[5, 4],
		[0, 3 * R + 6],
		[0.5, 2]
	])('rejects [%s, %s) with RangeError', (start, end) => {
		expect(() => cipherRangeForPlain(layout, start, end)).toThrow(RangeError);
	});
});
