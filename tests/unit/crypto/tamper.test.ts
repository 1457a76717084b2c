import { beforeAll, describe, expect, it } from 'vitest';
import { layoutForCipherSize, RecordDecryptor, sealRecord, type CryptoErrorCode, type RecordLayout } from '../../../src/lib/crypto';
import { concat, counterBytes, decryptChunks, encryptAll, expectCryptoError, shareKeys } from './helpers';

const R = 1024;
const S = R + 16;

let key: CryptoKey;
let layout: RecordLayout; // 5 records: 4 full, last holds 100 bytes
let records: Uint8Array[];
let ciphertext: Uint8Array;

beforeAll(async () => {
	key = (await shareKeys(R)).contentKey;
	({ layout, records, ciphertext } = await encryptAll(key, counterBytes(4 * R + 100), R));
});

function flip(bytes: Uint8Array, offset: number): Uint8Array {
	const out = bytes.slice();
	out[offset] = (out[offset] as number) ^ 0x40;
	return out;
}

/** Decrypts with the true layout (the server told the right size) in one chunk and in odd chunks. */
async function expectFailure(stream: Uint8Array, code: CryptoErrorCode, claimed: RecordLayout = layout): Promise<void> {
	await expectCryptoError(decryptChunks(key, claimed, stream), code);
	await expectCryptoError(decryptChunks(key, claimed, stream, [1, 17, 1041, 300]), code);
}

describe('the untouched stream', () => {
	it('decrypts (control for every case below)', async () => {
		expect((await decryptChunks(key, layout, ciphertext)).length).toBe(4 * R + 100);
		expect(records.length).toBe(5);
	});
});

describe('modified bytes → TAMPERED', () => {
	const lastStart = 4 * S;
	it.each([
		['first byte of record 0', 0],
		['middle of record 0', 500],
		['tag of record 0', S - 1],
		['first byte of record 2 (a middle record)', 2 * S],
		['tag of record 2', 3 * S - 16],
		['first byte of the last record', lastStart],
		['tag of the last record', lastStart + 100 + 5],
		['very last byte', lastStart + 115]
	])('%s', async (_, offset) => {
		await expectFailure(flip(ciphertext, offset), 'TAMPERED');
	});
});

describe('rearranged records → TAMPERED', () => {
	it('dropped middle record (true size)', async () => {
		await expectFailure(concat([records[0], records[1], records[3], records[4]] as Uint8Array[]), 'TAMPERED');
	});

	it('dropped middle record, with the size claimed to match', async () => {
		const stream = concat([records[0], records[1], records[3], records[4]] as Uint8Array[]);
		await expectFailure(stream, 'TAMPERED', layoutForCipherSize(stream.length, R));
	});

	it('duplicated record (size claimed to match)', async () => {
		const stream = concat([records[0], records[1], records[1], records[2], records[3], records[4]] as Uint8Array[]);
		await expectFailure(stream, 'TAMPERED', layoutForCipherSize(stream.length, R));
	});

	it('duplicated record (true size)', async () => {
		const stream = concat([records[0], records[0], records[1], records[2], records[3], records[4]] as Uint8Array[]);
		await expectFailure(stream, 'TAMPERED');
	});

	it('swapped records 1 and 2', async () => {
		await expectFailure(concat([records[0], records[2], records[1], records[3], records[4]] as Uint8Array[]), 'TAMPERED');
	});

	it('a record from another share with the same index', async () => {
		const other = await encryptAll((await shareKeys(R, 9)).contentKey, counterBytes(4 * R + 100), R);
		await expectFailure(concat([records[0], other.records[1], records[2], records[3], records[4]] as Uint8Array[]), 'TAMPERED');
	});

	it('the wrong key', async () => {
		await expectCryptoError(decryptChunks((await shareKeys(R, 3)).contentKey, layout, ciphertext), 'TAMPERED');
	});
});

describe('truncation → TRUNCATED', () => {
	it('last record cut short by 10 bytes (true size)', async () => {
		await expectFailure(ciphertext.subarray(0, ciphertext.length - 10), 'TRUNCATED');
	});

	it('only part of a tag arrived', async () => {
		await expectFailure(ciphertext.subarray(0, S - 3), 'TRUNCATED');
	});

	it('cut at a record boundary (true size)', async () => {
		await expectFailure(ciphertext.subarray(0, 4 * S), 'TRUNCATED');
	});

	it('cut at a record boundary, with the size claimed to match: the last record lacks its flag', async () => {
		const stream = ciphertext.subarray(0, 2 * S);
		await expectFailure(stream, 'TRUNCATED', layoutForCipherSize(stream.length, R));
	});

	it('nothing arrived', async () => {
		await expectCryptoError(new RecordDecryptor(key, layout).finish(), 'TRUNCATED');
	});
});

describe('extra data → TRAILING_DATA', () => {
	it('an appended record (true size)', async () => {
		const extra = await sealRecord(key, 5, true, counterBytes(10));
		await expectFailure(concat([ciphertext, extra]), 'TRAILING_DATA');
	});

	it('an appended record, with the size claimed to match: the real last record is flagged last', async () => {
		const extra = await sealRecord(key, 5, true, counterBytes(R));
		const stream = concat([ciphertext.subarray(0, 4 * S), await sealRecord(key, 4, true, counterBytes(R)), extra]);
		await expectFailure(stream, 'TRAILING_DATA', layoutForCipherSize(stream.length, R));
	});

	it.each([1, 5, 16, 2000])('%i junk bytes appended', async (length) => {
		await expectFailure(concat([ciphertext, new Uint8Array(length).fill(7)]), 'TRAILING_DATA');
	});

	it('an earlier bad record is reported before trailing bytes', async () => {
		await expectCryptoError(decryptChunks(key, layout, concat([flip(ciphertext, 10), new Uint8Array(3)])), 'TAMPERED');
	});
});

describe('a partial range', () => {
	const middle = (): Uint8Array => ciphertext.subarray(S, 3 * S); // records 1 and 2

	it('decrypts records [1, 3) on their own', async () => {
		const plain = await decryptChunks(key, layout, middle(), [100], 1, 3);
		expect(plain).toEqual(counterBytes(4 * R + 100).subarray(R, 3 * R));
	});

	it('rejects records that are not the ones asked for', async () => {
		await expectCryptoError(decryptChunks(key, layout, ciphertext.subarray(2 * S, 4 * S), [S], 1, 3), 'TAMPERED');
	});

	it('rejects more records than asked for', async () => {
		await expectCryptoError(decryptChunks(key, layout, ciphertext.subarray(S, 4 * S), [S], 1, 3), 'TRAILING_DATA');
	});

	it('reports a short range as TRUNCATED', async () => {
		await expectCryptoError(decryptChunks(key, layout, ciphertext.subarray(S, 2 * S + 5), [S], 1, 3), 'TRUNCATED');
	});

	it('ending at the last record checks its flag', async () => {
		const plain = await decryptChunks(key, layout, ciphertext.subarray(3 * S), [7], 3, 5);
		expect(plain.length).toBe(R + 100);
	});
});

describe('RecordDecryptor misuse', () => {
	it('refuses to continue after an error', async () => {
		const decryptor = new RecordDecryptor(key, layout);
		await expectCryptoError(decryptor.push(flip(ciphertext, 3).subarray(0, S)), 'TAMPERED');
		await expect(decryptor.push(ciphertext.subarray(S, 2 * S))).rejects.toThrow();
		await expect(decryptor.finish()).rejects.toThrow();
	});

	it.each([
		[-1, 2],
		[3, 2],
		[0, 6]
	])('rejects the record range [%i, %i)', (first, end) => {
		expect(() => new RecordDecryptor(key, layout, first, end)).toThrow(RangeError);
	});
});
