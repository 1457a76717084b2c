import { argon2id } from 'hash-wasm';
import { describe, expect, it } from 'vitest';
import {
	createShareKeys,
	DEFAULT_ARGON2,
	derivePasswordKey,
	openShareKeys,
	passwordBytes,
	type Argon2Params
} from '../../../src/lib/crypto';
import { bytesToHex, expectCryptoError, fixedSecret } from './helpers';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

/** 32 printable bytes, so the reference CLI can take it as its salt argument. */
const SALT = ascii('sealdrop-v1-test-salt-32-bytes!!');
const NFC_PASSWORD = 'Correct horse \u00e9 battery staple \u2713';
const NFD_PASSWORD = 'Correct horse e\u0301 battery staple \u2713';

describe('Argon2id (hash-wasm) against the reference implementation', () => {
	// Known-answer tests of the Argon2 reference code (P-H-C/phc-winner-argon2 src/test.c, v=0x13,
	// the code RFC 9106 specifies). The RFC 9106 §5.3 vector itself also feeds a secret and
	// associated data, which hash-wasm does not expose; these two use password and salt only.
	it('matches the published vector t=2, m=65536, p=1, "password"/"somesalt"', async () => {
		const out = await argon2id({
			password: ascii('password'),
			salt: ascii('somesalt'),
			iterations: 2,
			memorySize: 65536,
			parallelism: 1,
			hashLength: 32,
			outputType: 'hex'
		});
		expect(out).toBe('09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7');
	});

	it('matches the published vector t=2, m=256, p=1', async () => {
		const out = await argon2id({
			password: ascii('password'),
			salt: ascii('somesalt'),
			iterations: 2,
			memorySize: 256,
			parallelism: 1,
			hashLength: 32,
			outputType: 'hex'
		});
		expect(out).toBe('9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe');
	});
});

describe('derivePasswordKey', () => {
	const header = { salt: SALT, kdf: { ...DEFAULT_ARGON2 } as Argon2Params };

	// Expected output computed independently with the Argon2 reference CLI (Debian package argon2):
	//   printf 'Correct horse \xc3\xa9 battery staple \xe2\x9c\x93' |
	//     argon2 'sealdrop-v1-test-salt-32-bytes!!' -id -t 3 -m 16 -p 1 -l 32 -r
	const EXPECTED = '055939e32e7a578d72fd6fdf61d85e889a47f6dad17ce6ae8a863609979a0259';

	it('is Argon2id(NFC password, header salt, m=65536 KiB, t=3, p=1, 32 bytes)', async () => {
		expect(DEFAULT_ARGON2).toEqual({ memoryKiB: 65536, passes: 3, parallelism: 1 });
		expect(bytesToHex(await derivePasswordKey(NFC_PASSWORD, header))).toBe(EXPECTED);
	});

	it('normalises to NFC: a decomposed accent gives the same key', async () => {
		expect(bytesToHex(passwordBytes(NFD_PASSWORD))).toBe(bytesToHex(passwordBytes(NFC_PASSWORD)));
		// The raw NFD bytes would give aaa28487… (reference CLI); NFC makes it the same key.
		expect(bytesToHex(await derivePasswordKey(NFD_PASSWORD, header))).toBe(EXPECTED);
	});

	it('depends on the salt and on every parameter', async () => {
		const cheap = { memoryKiB: 64, passes: 1, parallelism: 1 };
		const base = bytesToHex(await derivePasswordKey('pw', { salt: SALT, kdf: cheap }));
		const otherSalt = SALT.slice();
		otherSalt[0] = otherSalt[0]! ^ 1;
		const variants = [
			{ salt: otherSalt, kdf: cheap },
			{ salt: SALT, kdf: { ...cheap, memoryKiB: 72 } },
			{ salt: SALT, kdf: { ...cheap, passes: 2 } },
			{ salt: SALT, kdf: { ...cheap, parallelism: 2 } }
		];
		for (const variant of variants) expect(bytesToHex(await derivePasswordKey('pw', variant))).not.toBe(base);
		expect(bytesToHex(await derivePasswordKey('pw ', { salt: SALT, kdf: cheap }))).not.toBe(base);
	});

	it('refuses a share without a password, an empty password and a bad salt', async () => {
		await expect(derivePasswordKey('pw', { salt: SALT, kdf: null })).rejects.toThrow(TypeError);
		await expect(derivePasswordKey('', header)).rejects.toThrow(TypeError);
		await expectCryptoError(derivePasswordKey('pw', { salt: SALT.subarray(0, 16), kdf: header.kdf }), 'BAD_HEADER');
	});

	it('v1: is a second factor: the link alone or a wrong password opens nothing (WRONG_KEY)', async () => {
		const kdf = { memoryKiB: 256, passes: 1, parallelism: 1 };
		const salt = SALT;
		const passwordKey = await derivePasswordKey('right one', { salt, kdf });
		const { header: made } = await createShareKeys({ version: 1, secret: fixedSecret(), kdf, passwordKey, salt });
		expect(made.kdf).toEqual(kdf);

		const right = await derivePasswordKey('right one', made);
		await expect(openShareKeys(made, fixedSecret(), right)).resolves.toBeDefined();
		await expectCryptoError(openShareKeys(made, fixedSecret(), await derivePasswordKey('wrong one', made)), 'WRONG_KEY');
		await expect(openShareKeys(made, fixedSecret())).rejects.toThrow(TypeError);
		const otherSecret = fixedSecret().slice();
		otherSecret[0] = otherSecret[0]! ^ 1;
		await expectCryptoError(openShareKeys(made, otherSecret, right), 'WRONG_KEY');
	});
});
