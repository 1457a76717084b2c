import { describe, expect, it } from 'vitest';
import {
	createShareKeys,
	decodeHeader,
	DEFAULT_RECORD_SIZE,
	encodeHeader,
	openRecord,
	openShareKeys,
	sealRecord,
	type Header
} from '../../../src/lib/crypto';
import { bytesToHex, expectCryptoError, fixedSecret } from './helpers';

const passwordKey = Uint8Array.from({ length: 32 }, (_, i) => 0xc0 ^ i);
const kdf = { memoryKiB: 65536, passes: 3, parallelism: 1 };

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
	const out = bytes.slice();
	out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7));
	return out;
}

/** Recipient keys work with sender keys: a record sealed by one opens with the other. */
async function sameContentKey(a: CryptoKey, b: CryptoKey): Promise<boolean> {
	const sealed = await sealRecord(a, 3, false, new Uint8Array([1, 2, 3]));
	try {
		await openRecord(b, 3, false, sealed);
		return true;
	} catch {
		return false;
	}
}

describe('createShareKeys', () => {
	it('fills in a header that decodes to itself, with the commitment at bytes 51–82', async () => {
		const { header, headerBytes, keys } = await createShareKeys({ secret: fixedSecret() });
		expect(header.recordSize).toBe(DEFAULT_RECORD_SIZE);
		expect(header.kdf).toBeNull();
		expect(decodeHeader(headerBytes)).toEqual(header);
		expect(bytesToHex(headerBytes.subarray(51))).toBe(bytesToHex(keys.commitment));
		expect(keys.readToken.length).toBe(32);
		expect(keys.commitment.length).toBe(32);
		expect(bytesToHex(keys.readToken)).not.toBe(bytesToHex(keys.commitment));
	});

	it('uses a fresh random salt each time, so the same secret gives other keys', async () => {
		const a = await createShareKeys({ secret: fixedSecret() });
		const b = await createShareKeys({ secret: fixedSecret() });
		expect(bytesToHex(a.header.salt)).not.toBe(bytesToHex(b.header.salt));
		expect(bytesToHex(a.keys.readToken)).not.toBe(bytesToHex(b.keys.readToken));
		expect(await sameContentKey(a.keys.contentKey, b.keys.contentKey)).toBe(false);
	});

	it('is deterministic for a given salt', async () => {
		const salt = new Uint8Array(32).fill(9);
		const a = await createShareKeys({ secret: fixedSecret(), salt, recordSize: 4096 });
		const b = await createShareKeys({ secret: fixedSecret(), salt, recordSize: 4096 });
		expect(bytesToHex(a.headerBytes)).toBe(bytesToHex(b.headerBytes));
		expect(bytesToHex(a.keys.readToken)).toBe(bytesToHex(b.keys.readToken));
		expect(await sameContentKey(a.keys.contentKey, b.keys.contentKey)).toBe(true);
	});

	it('makes non-extractable AES-256-GCM keys', async () => {
		const { keys } = await createShareKeys({ secret: fixedSecret() });
		for (const key of [keys.contentKey, keys.metadataKey]) {
			expect(key.extractable).toBe(false);
			expect(key.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
			expect([...key.usages].sort()).toEqual(['decrypt', 'encrypt']);
		}
		await expect(crypto.subtle.exportKey('raw', keys.contentKey)).rejects.toThrow();
	});

	it('derives different content and metadata keys', async () => {
		const { keys } = await createShareKeys({ secret: fixedSecret() });
		expect(await sameContentKey(keys.contentKey, keys.metadataKey)).toBe(false);
	});

	it('binds every key to the record size', async () => {
		const salt = new Uint8Array(32).fill(1);
		const a = await createShareKeys({ secret: fixedSecret(), salt, recordSize: 1024 });
		const b = await createShareKeys({ secret: fixedSecret(), salt, recordSize: 2048 });
		expect(bytesToHex(a.keys.readToken)).not.toBe(bytesToHex(b.keys.readToken));
		expect(await sameContentKey(a.keys.contentKey, b.keys.contentKey)).toBe(false);
	});

	it('rejects a secret that is not 32 bytes', async () => {
		await expectCryptoError(createShareKeys({ secret: new Uint8Array(16) }), 'BAD_SECRET');
	});

	it('rejects an invalid record size or salt before deriving anything', async () => {
		await expectCryptoError(createShareKeys({ secret: fixedSecret(), recordSize: 512 }), 'BAD_HEADER');
		await expectCryptoError(createShareKeys({ secret: fixedSecret(), salt: new Uint8Array(8) }), 'BAD_HEADER');
	});

	it('requires the password key exactly when the header has a kdf', async () => {
		await expect(createShareKeys({ secret: fixedSecret(), kdf })).rejects.toThrow(TypeError);
		await expect(createShareKeys({ secret: fixedSecret(), passwordKey })).rejects.toThrow(TypeError);
		await expect(createShareKeys({ secret: fixedSecret(), kdf, passwordKey: passwordKey.subarray(1) })).rejects.toThrow(TypeError);
	});
});

describe('openShareKeys', () => {
	it('derives the sender’s keys from the header and the secret', async () => {
		const sent = await createShareKeys({ secret: fixedSecret(), recordSize: 1024 });
		const opened = await openShareKeys(decodeHeader(sent.headerBytes), fixedSecret());
		expect(bytesToHex(opened.readToken)).toBe(bytesToHex(sent.keys.readToken));
		expect(bytesToHex(opened.commitment)).toBe(bytesToHex(sent.keys.commitment));
		expect(await sameContentKey(sent.keys.contentKey, opened.contentKey)).toBe(true);
		expect(await sameContentKey(sent.keys.metadataKey, opened.metadataKey)).toBe(true);
	});

	it.each([0, 1, 7, 128, 255])('a secret with bit %i flipped → WRONG_KEY', async (bit) => {
		const { header } = await createShareKeys({ secret: fixedSecret() });
		await expectCryptoError(openShareKeys(header, flipBit(fixedSecret(), bit)), 'WRONG_KEY');
	});

	it('a changed commitment → WRONG_KEY', async () => {
		const { header } = await createShareKeys({ secret: fixedSecret() });
		const changed = { ...header, commitment: flipBit(header.commitment, 200) };
		await expectCryptoError(openShareKeys(changed, fixedSecret()), 'WRONG_KEY');
	});

	it.each<[string, (h: Header) => Header]>([
		['record size', (h) => ({ ...h, recordSize: h.recordSize * 2 })],
		['salt', (h) => ({ ...h, salt: flipBit(h.salt, 3) })],
		['Argon2 passes', (h) => ({ ...h, kdf: { ...kdf, passes: 4 } })],
		['Argon2 memory', (h) => ({ ...h, kdf: { ...kdf, memoryKiB: 131072 } })]
	])('a header with another %s → WRONG_KEY (keys are bound to the prefix)', async (_, change) => {
		const { header } = await createShareKeys({ secret: fixedSecret(), kdf, passwordKey });
		const changed = decodeHeader(encodeHeader(change(header)));
		await expectCryptoError(openShareKeys(changed, fixedSecret(), passwordKey), 'WRONG_KEY');
	});

	describe('with a password (format v1: the commitment covers it)', () => {
		it('opens with the right password key and mixes it into every key', async () => {
			const withPw = await createShareKeys({ version: 1, secret: fixedSecret(), kdf, passwordKey, salt: new Uint8Array(32) });
			const opened = await openShareKeys(withPw.header, fixedSecret(), passwordKey);
			expect(await sameContentKey(withPw.keys.contentKey, opened.contentKey)).toBe(true);
			expect(decodeHeader(withPw.headerBytes).kdf).toEqual(kdf);
			const withoutPw = await createShareKeys({ version: 1, secret: fixedSecret(), salt: new Uint8Array(32) });
			expect(bytesToHex(withPw.keys.readToken)).not.toBe(bytesToHex(withoutPw.keys.readToken));
		});

		it('a wrong password key (one bit) → WRONG_KEY', async () => {
			const { header } = await createShareKeys({ version: 1, secret: fixedSecret(), kdf, passwordKey });
			await expectCryptoError(openShareKeys(header, fixedSecret(), flipBit(passwordKey, 77)), 'WRONG_KEY');
		});

		it('the right password with the wrong link → WRONG_KEY', async () => {
			const { header } = await createShareKeys({ version: 1, secret: fixedSecret(), kdf, passwordKey });
			await expectCryptoError(openShareKeys(header, fixedSecret(2), passwordKey), 'WRONG_KEY');
		});

		it('a missing password key is a programming error (TypeError)', async () => {
			const { header } = await createShareKeys({ version: 1, secret: fixedSecret(), kdf, passwordKey });
			await expect(openShareKeys(header, fixedSecret())).rejects.toThrow(TypeError);
		});
	});
});
