import { describe, expect, it } from 'vitest';
import { decodeSecret, encodeSecret, fromBase64Url, generateSecret, sha256, toBase64Url } from '../../../src/lib/crypto';
import { bytesToHex, expectCryptoError } from './helpers';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('base64url', () => {
	it.each([
		['', ''],
		['f', 'Zg'],
		['fo', 'Zm8'],
		['foo', 'Zm9v'],
		['foob', 'Zm9vYg'],
		['fooba', 'Zm9vYmE'],
		['foobar', 'Zm9vYmFy']
	])('encodes the RFC 4648 vector %j as %j without padding', (plain, encoded) => {
		expect(toBase64Url(ascii(plain))).toBe(encoded);
		expect(fromBase64Url(encoded)).toEqual(ascii(plain));
	});

	it('uses the URL-safe alphabet', () => {
		expect(toBase64Url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
		expect(fromBase64Url('-_-_')).toEqual(new Uint8Array([0xfb, 0xff, 0xbf]));
	});

	it('round-trips every length up to 100 and all byte values', () => {
		for (let length = 0; length <= 100; length++) {
			const bytes = Uint8Array.from({ length }, (_, i) => (i * 97 + length) & 0xff);
			expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
		}
		const all = Uint8Array.from({ length: 256 }, (_, i) => i);
		expect(fromBase64Url(toBase64Url(all))).toEqual(all);
	});

	it.each(['Zg==', 'Zg=', 'Zm9v+A', 'Zm9v/A', 'Z', 'Zm9vY', ' Zg', 'Zg\n', 'Zé', 'Zh', 'Zm9'])(
		'rejects %j (padding, foreign characters, impossible length, non-canonical bits)',
		(text) => {
			expect(() => fromBase64Url(text)).toThrow(Error);
		}
	);
});

describe('secret', () => {
	it('generates 32 fresh random bytes', () => {
		const a = generateSecret();
		const b = generateSecret();
		expect(a).toBeInstanceOf(Uint8Array);
		expect(a.length).toBe(32);
		expect(bytesToHex(a)).not.toBe(bytesToHex(b));
	});

	it('encodes as 43 base64url characters and decodes back', () => {
		const secret = generateSecret();
		const text = encodeSecret(secret);
		expect(text).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(decodeSecret(text)).toEqual(secret);
	});

	it('refuses to encode a secret that is not 32 bytes', async () => {
		await expectCryptoError(() => encodeSecret(new Uint8Array(31)), 'BAD_SECRET');
	});

	it.each([
		['42 characters', 'A'.repeat(42)],
		['44 characters', 'A'.repeat(44)],
		['padding', `${'A'.repeat(42)}=`],
		['standard base64', `${'A'.repeat(42)}+`],
		['a space', `${'A'.repeat(41)} A`],
		['non-canonical last character', `${'A'.repeat(42)}B`],
		['empty', '']
	])('decodeSecret rejects %s with BAD_SECRET', async (_, text) => {
		await expectCryptoError(() => decodeSecret(text), 'BAD_SECRET');
	});

	it('accepts every canonical last character', () => {
		for (const last of 'AEIMQUYcgkosw048') expect(decodeSecret(`${'_'.repeat(42)}${last}`).length).toBe(32);
	});
});

describe('sha256', () => {
	it('matches the FIPS 180-2 vector for "abc"', async () => {
		expect(bytesToHex(await sha256(ascii('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
	});
});
