import { describe, expect, it } from 'vitest';
import {
	buildMetadata,
	cipherRangeForPlain,
	DEFAULT_RECORD_SIZE,
	encryptBlobRecords,
	layoutForCipherSize,
	type ByteSource,
	layoutForPlainSize,
	openRecord,
	recordNonce,
	sealRecord
} from '../../../src/lib/crypto';
import {
	bytesToHex,
	collect,
	concat,
	counterBytes,
	decryptChunks,
	encryptAll,
	expectCryptoError,
	expectSameBytes,
	shareKeys
} from './helpers';

describe('recordNonce', () => {
	it.each([
		[0, false, '000000000000000000000000'],
		[0, true, '000000000000000000000001'],
		[1, false, '000000000000000000000100'],
		[0x0102, true, '000000000000000000010201'],
		[2 ** 32 - 1, false, '00000000000000ffffffff00'],
		[2 ** 32, false, '000000000000010000000000'],
		[2 ** 32 + 5, true, '000000000000010000000501'],
		[2 ** 53 - 1, true, '000000001fffffffffffff01']
	])('index %i, last %s → %s', (index, last, hex) => {
		expect(bytesToHex(recordNonce(index, last))).toBe(hex);
	});

	it.each([-1, 1.5, 2 ** 53, NaN])('rejects index %s', (index) => {
		expect(() => recordNonce(index, false)).toThrow(RangeError);
	});
});

describe('sealRecord / openRecord', () => {
	it('adds a 16-byte tag and opens only with the same index and last flag', async () => {
		const { contentKey } = await shareKeys(1024);
		const plaintext = counterBytes(100);
		const sealed = await sealRecord(contentKey, 7, false, plaintext);
		expect(sealed.length).toBe(116);
		expectSameBytes(await openRecord(contentKey, 7, false, sealed), plaintext);
		await expectCryptoError(openRecord(contentKey, 8, false, sealed), 'TAMPERED');
		await expectCryptoError(openRecord(contentKey, 7, true, sealed), 'TAMPERED');
		await expectCryptoError(openRecord(contentKey, 2 ** 32 + 7, false, sealed), 'TAMPERED');
		await expectCryptoError(openRecord(contentKey, 7, false, sealed.subarray(0, 15)), 'TAMPERED');
		await expectCryptoError(openRecord((await shareKeys(1024, 2)).contentKey, 7, false, sealed), 'TAMPERED');
	});

	it('is deterministic (a resent upload part is byte-identical)', async () => {
		const { contentKey } = await shareKeys(1024);
		const a = await sealRecord(contentKey, 3, true, counterBytes(10));
		const b = await sealRecord(contentKey, 3, true, counterBytes(10));
		expect(bytesToHex(a)).toBe(bytesToHex(b));
	});
});

describe.each([1024, DEFAULT_RECORD_SIZE])('round trip with R = %i', (R) => {
	it.each([
		['0 bytes', 0],
		['1 byte', 1],
		['R − 1', R - 1],
		['R', R],
		['R + 1', R + 1],
		['2R', 2 * R],
		['many records (7R + 3)', 7 * R + 3]
	])('%s', async (_, size) => {
		const { contentKey } = await shareKeys(R);
		const plaintext = counterBytes(size);
		const { layout, records, ciphertext } = await encryptAll(contentKey, plaintext, R);
		expect(records.length).toBe(layout.records);
		expect(layout).toEqual(layoutForPlainSize(size, R));
		expect(ciphertext.length).toBe(layout.cipherSize);
		expect(layoutForCipherSize(ciphertext.length, R)).toEqual(layout);
		expectSameBytes(await decryptChunks(contentKey, layout, ciphertext), plaintext);
	});
});

describe('several files concatenated', () => {
	const R = 1024;
	const sizes = [0, 1000, R, 3, 0, 2 * R + 1, 1];

	it('decrypts every file on its own from its ciphertext range, including middle and empty files', async () => {
		const { contentKey } = await shareKeys(R);
		const files = sizes.map((size, i) => counterBytes(size, i * 17));
		const meta = buildMetadata(
			files.map((f, i) => ({ name: `f${i}.bin`, size: f.length, type: '' })),
			{ created: 0 }
		);
		const { layout, ciphertext } = await encryptAll(contentKey, new Blob(files), R);
		expectSameBytes(await decryptChunks(contentKey, layout, ciphertext), concat(files));
		for (const [i, entry] of meta.files.entries()) {
			const range = cipherRangeForPlain(layout, entry.offset, entry.offset + entry.size);
			const part = ciphertext.subarray(range.cipherStart, range.cipherEnd);
			const plain = await decryptChunks(contentKey, layout, part, [333], range.firstRecord, range.endRecord);
			expectSameBytes(plain.subarray(range.skip, range.skip + range.take), files[i] as Uint8Array);
		}
	});
});

describe('encryptBlobRecords', () => {
	it('any sub-range equals the same records of a whole-stream encryption (crossing 8 MiB read batches)', async () => {
		const R = DEFAULT_RECORD_SIZE;
		const { contentKey } = await shareKeys(R);
		const plaintext = counterBytes(140 * R + 1); // 141 records; a read batch is 128 records
		const blob = new Blob([plaintext]);
		const { layout, records } = await encryptAll(contentKey, blob, R);
		expect(layout.records).toBe(141);
		for (const [first, count] of [
			[0, 141],
			[1, 140],
			[5, 130],
			[127, 3],
			[128, 13],
			[140, 1],
			[141, 0],
			[0, 0]
		] as const) {
			const part = await collect(encryptBlobRecords(contentKey, blob, layout, first, count));
			expect(part.length).toBe(count);
			expectSameBytes(concat(part), concat(records.slice(first, first + count)));
		}
	}, 30000);

	it('reads from a Blob made of several parts', async () => {
		const R = 1024;
		const { contentKey } = await shareKeys(R);
		const parts = [counterBytes(500), counterBytes(2000, 3), counterBytes(7, 9)];
		const joined = await encryptAll(contentKey, concat(parts), R);
		const split = await encryptAll(contentKey, new Blob(parts), R);
		expectSameBytes(split.ciphertext, joined.ciphertext);
	});

	it('can be stopped early', async () => {
		const { contentKey } = await shareKeys(1024);
		const plaintext = counterBytes(50 * 1024);
		const layout = layoutForPlainSize(plaintext.length, 1024);
		let seen = 0;
		for await (const record of encryptBlobRecords(contentKey, new Blob([plaintext]), layout, 0, layout.records)) {
			expect(record.length).toBe(1040);
			if (++seen === 3) break;
		}
		expect(seen).toBe(3);
	});

	it('rejects a source of the wrong size and a range outside the layout', async () => {
		const { contentKey } = await shareKeys(1024);
		const layout = layoutForPlainSize(3000, 1024);
		await expectCryptoError(collect(encryptBlobRecords(contentKey, new Blob([counterBytes(2999)]), layout, 0, 3)), 'BAD_SIZE');
		const blob = new Blob([counterBytes(3000)]);
		await expect(collect(encryptBlobRecords(contentKey, blob, layout, 2, 2))).rejects.toThrow(RangeError);
		await expect(collect(encryptBlobRecords(contentKey, blob, layout, -1, 1))).rejects.toThrow(RangeError);
	});

	it('WebCrypto takes a copy of its input when encrypt is called (what makes reusing read buffers safe)', async () => {
		const { contentKey } = await shareKeys(1024);
		const plaintext = counterBytes(4096);
		const buffer = plaintext.slice();
		const sealing = sealRecord(contentKey, 0, true, buffer);
		buffer.fill(0xaa); // overwritten before the seal settles
		const opened = await openRecord(contentKey, 0, true, await sealing);
		expectSameBytes(opened, plaintext);
	});

	it('a source reusing its buffers (scribbled on when given back) gives the same records as a Blob', async () => {
		const R = 1024;
		const { contentKey } = await shareKeys(R);
		const plaintext = counterBytes(300 * R + 77);
		const { layout, ciphertext } = await encryptAll(contentKey, plaintext, R);
		// Batches of 3 records with 32 sealed ahead: many batches in flight, each buffer reused at once.
		const pool: Uint8Array[] = [];
		let allocated = 0;
		const source: ByteSource = {
			size: plaintext.length,
			readBytes: 3 * R,
			async read(offset, length) {
				const buffer = pool.pop() ?? (allocated++, new Uint8Array(3 * R));
				buffer.set(plaintext.subarray(offset, offset + length));
				return buffer.subarray(0, length);
			},
			release(bytes) {
				const whole = new Uint8Array(bytes.buffer);
				whole.fill(0xaa); // a reader still using it would seal these bytes
				pool.push(whole);
			}
		};
		const sealed = concat(await collect(encryptBlobRecords(contentKey, source, layout, 0, layout.records)));
		expectSameBytes(sealed, ciphertext);
		const opened = await decryptChunks(contentKey, layout, sealed);
		expectSameBytes(opened, plaintext);
		expect(allocated).toBeLessThan(layout.records / 3 / 4); // buffers were reused, not one per batch
	});
});
