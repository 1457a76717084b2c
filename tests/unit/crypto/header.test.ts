import { describe, expect, it } from 'vitest';
import { decodeHeader, encodeHeader, HEADER_BYTES, type Header } from '../../../src/lib/crypto';
import { bytesToHex, expectCryptoError } from './helpers';

const salt = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
const commitment = Uint8Array.from({ length: 32 }, (_, i) => 0x10 + i);
const plain: Header = { version: 1, recordSize: 65536, salt, kdf: null, commitment };
const withPassword: Header = { ...plain, recordSize: 1024, kdf: { memoryKiB: 65536, passes: 3, parallelism: 4 } };

/** A valid header with some bytes changed. */
function patched(header: Header, patch: (bytes: Uint8Array, view: DataView) => void): Uint8Array {
	const bytes = encodeHeader(header);
	patch(bytes, new DataView(bytes.buffer));
	return bytes;
}

describe('header layout', () => {
	it('writes the fields at the offsets of FORMAT.md §2', () => {
		const bytes = encodeHeader(withPassword);
		expect(bytes.length).toBe(HEADER_BYTES);
		expect(bytesToHex(bytes)).toBe(
			'5344525001' + // magic, version
				'01' + // kdf
				'00000400' + // R = 1024
				bytesToHex(salt) +
				'00010000' + // m = 65536
				'00000003' + // t = 3
				'04' + // p = 4
				bytesToHex(commitment)
		);
	});

	it('writes zero Argon2 fields without a password', () => {
		expect(bytesToHex(encodeHeader(plain).subarray(4, 10))).toBe('010000010000');
		expect(bytesToHex(encodeHeader(plain).subarray(42, 51))).toBe('000000000000000000');
	});

	it.each([
		['no password', plain],
		['password', withPassword]
	])('round-trips (%s)', (_, header) => {
		expect(decodeHeader(encodeHeader(header))).toEqual(header);
	});

	it('decodes from a view into a larger buffer', () => {
		const big = new Uint8Array(200);
		big.set(encodeHeader(withPassword), 17);
		expect(decodeHeader(big.subarray(17, 17 + HEADER_BYTES))).toEqual(withPassword);
	});

	it('returns copies that do not alias the input', () => {
		const bytes = encodeHeader(plain);
		const header = decodeHeader(bytes);
		bytes.fill(0xee);
		expect(header.salt).toEqual(salt);
		expect(header.commitment).toEqual(commitment);
	});

	it.each([1024, 16777216, 65536, 1 << 20])('accepts record size %i', (recordSize) => {
		expect(decodeHeader(encodeHeader({ ...plain, recordSize })).recordSize).toBe(recordSize);
	});

	it('accepts the smallest legal Argon2 parameters (m = 8·p)', () => {
		const kdf = { memoryKiB: 16, passes: 1, parallelism: 2 };
		expect(decodeHeader(encodeHeader({ ...plain, kdf })).kdf).toEqual(kdf);
	});

	it.each([
		['the largest memory', { memoryKiB: 262144, passes: 4, parallelism: 8 }],
		['the most passes', { memoryKiB: 131072, passes: 8, parallelism: 1 }]
	])('accepts Argon2 parameters at the cost limits: %s', (_, kdf) => {
		expect(decodeHeader(encodeHeader({ ...plain, kdf })).kdf).toEqual(kdf);
	});
});

describe('Argon2 cost limits (a hostile header must not hang a recipient)', () => {
	const costly = (memoryKiB: number, passes: number, parallelism = 1) =>
		patched(withPassword, (bytes, view) => {
			view.setUint32(42, memoryKiB);
			view.setUint32(46, passes);
			bytes[50] = parallelism;
		});

	it.each([
		['m = 2^32−1 KiB', costly(0xffffffff, 3)],
		['m = 262145 KiB', costly(262145, 1)],
		['t = 2^32−1', costly(65536, 0xffffffff)],
		['t = 9', costly(65536, 9)],
		['p = 9', costly(65536, 3, 9)],
		['m·t over the work limit', costly(262144, 5)]
	])('decodeHeader refuses %s with KDF_TOO_COSTLY', async (_, bytes) => {
		await expectCryptoError(() => decodeHeader(bytes), 'KDF_TOO_COSTLY');
	});

	it('encodeHeader refuses to write what no reader would open', async () => {
		await expectCryptoError(() => encodeHeader({ ...plain, kdf: { memoryKiB: 1048576, passes: 3, parallelism: 1 } }), 'KDF_TOO_COSTLY');
	});
});

describe('header rejection', () => {
	it.each([
		['82 bytes', encodeHeader(plain).subarray(0, 82)],
		['84 bytes', new Uint8Array([...encodeHeader(plain), 0])],
		['empty', new Uint8Array(0)],
		['4 bytes of magic only', encodeHeader(plain).subarray(0, 4)],
		['wrong magic', patched(plain, (b) => (b[0] = 0x54))],
		['wrong magic (last byte)', patched(plain, (b) => (b[3] = 0x51))],
		['record size 1023', patched(plain, (_, v) => v.setUint32(6, 1023))],
		['record size 0', patched(plain, (_, v) => v.setUint32(6, 0))],
		['record size 2^24 + 1', patched(plain, (_, v) => v.setUint32(6, 16777217))],
		['unknown kdf 02', patched(plain, (b) => (b[5] = 2))],
		['unknown kdf ff', patched(withPassword, (b) => (b[5] = 0xff))],
		['kdf 00 with m ≠ 0', patched(plain, (_, v) => v.setUint32(42, 1))],
		['kdf 00 with t ≠ 0', patched(plain, (_, v) => v.setUint32(46, 1))],
		['kdf 00 with p ≠ 0', patched(plain, (b) => (b[50] = 1))],
		['kdf 01 with t = 0', patched(withPassword, (_, v) => v.setUint32(46, 0))],
		['kdf 01 with p = 0', patched(withPassword, (b) => (b[50] = 0))],
		['kdf 01 with m < 8·p', patched(withPassword, (_, v) => v.setUint32(42, 31))],
		['kdf 01 with all zero', patched(withPassword, (_, v) => (v.setUint32(42, 0), v.setUint32(46, 0), v.setUint8(50, 0)))]
	])('%s → BAD_HEADER', async (_, bytes) => {
		await expectCryptoError(() => decodeHeader(bytes), 'BAD_HEADER');
	});

	it.each([0, 3, 0xff])('version %i → UNSUPPORTED_VERSION', async (version) => {
		await expectCryptoError(() => decodeHeader(patched(plain, (b) => (b[4] = version))), 'UNSUPPORTED_VERSION');
	});

	it('reports a longer header of a future version as UNSUPPORTED_VERSION, not BAD_HEADER', async () => {
		const future = new Uint8Array(120);
		future.set([0x53, 0x44, 0x52, 0x50, 0x03]);
		await expectCryptoError(() => decodeHeader(future), 'UNSUPPORTED_VERSION');
	});

	it.each([
		['a 31-byte salt', { ...plain, salt: salt.subarray(1) }],
		['a 33-byte commitment', { ...plain, commitment: new Uint8Array(33) }],
		['record size 1000', { ...plain, recordSize: 1000 }],
		['record size 1024.5', { ...plain, recordSize: 1024.5 }],
		['Argon2 p = 256', { ...plain, kdf: { memoryKiB: 65536, passes: 3, parallelism: 256 } }],
		['Argon2 m = 2^32', { ...plain, kdf: { memoryKiB: 2 ** 32, passes: 3, parallelism: 1 } }],
		['Argon2 m < 8·p', { ...plain, kdf: { memoryKiB: 8, passes: 3, parallelism: 2 } }],
		['Argon2 t = 0', { ...plain, kdf: { memoryKiB: 65536, passes: 0, parallelism: 1 } }],
		['version 3', { ...plain, version: 3 as 1 }]
	])('encodeHeader refuses %s', async (_, header) => {
		await expectCryptoError(() => encodeHeader(header), 'BAD_HEADER');
	});
});
