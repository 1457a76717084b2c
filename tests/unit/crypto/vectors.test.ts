/** tests/vectors/v1.json (format v1, still read) reproduced by src/lib/crypto, in Node and in Chromium. */
import { describe, expect, it } from 'vitest';
import {
	createShareKeys,
	decodeHeader,
	decodeSecret,
	encodeHeader,
	layoutForCipherSize,
	openMetadata,
	openShareKeys,
	sealMetadata,
	sha256,
	toBase64Url,
	type ShareKeys
} from '../../../src/lib/crypto';
import json from '../../vectors/v1.json';
import { applyMutation, expandPlaintext, loadVectors, type VectorCase } from '../../vectors/vectors';
import { bytesToHex, decryptChunks, encryptAll, expectCryptoError, expectSameBytes, hexToBytes } from './helpers';

const vectors = loadVectors(json);

function passwordKeyOf(v: VectorCase): Uint8Array | undefined {
	return v.passwordKey === undefined ? undefined : hexToBytes(v.passwordKey);
}

async function senderKeys(v: VectorCase): Promise<{ headerBytes: Uint8Array; keys: ShareKeys }> {
	return createShareKeys({
		version: 1,
		secret: decodeSecret(v.secret),
		salt: hexToBytes(v.salt),
		recordSize: v.recordSize,
		kdf: v.kdf,
		passwordKey: passwordKeyOf(v)
	});
}

function caseNamed(name: string): VectorCase {
	const found = vectors.cases.find((c) => c.name === name);
	if (!found) throw new Error(`no vector case ${name}`);
	return found;
}

describe('positive vectors', () => {
	it('cover the promised cases', () => {
		const names = vectors.cases.map((c) => c.name);
		for (const name of ['empty', 'one-byte', 'one-full-record', 'three-records-plus-5', 'password']) {
			expect(names).toContain(name);
		}
		expect(caseNamed('password').kdf).not.toBeNull();
	});

	describe.each(vectors.cases)('$name', (v) => {
		it('sender: header and read token', async () => {
			const { headerBytes, keys } = await senderKeys(v);
			expect(bytesToHex(headerBytes)).toBe(v.expected.headerHex);
			expect(toBase64Url(keys.readToken)).toBe(v.expected.readTokenB64);
			expect(toBase64Url(await sha256(keys.readToken))).toBe(v.expected.readTokenHashB64);
		});

		it('recipient: opens the header with the secret (and password key)', async () => {
			const header = decodeHeader(hexToBytes(v.expected.headerHex));
			expect(header.recordSize).toBe(v.recordSize);
			expect(header.kdf).toEqual(v.kdf);
			expect(bytesToHex(encodeHeader(header))).toBe(v.expected.headerHex);
			const keys = await openShareKeys(header, decodeSecret(v.secret), passwordKeyOf(v));
			expect(toBase64Url(keys.readToken)).toBe(v.expected.readTokenB64);
		});

		it('ciphertext, and decryption back to the plaintext', async () => {
			const { keys } = await senderKeys(v);
			const plaintext = expandPlaintext(v.plaintext);
			const { layout, ciphertext } = await encryptAll(keys.contentKey, plaintext, v.recordSize);
			expect(layout).toEqual({
				recordSize: v.recordSize,
				plainSize: v.expected.plainSize,
				cipherSize: v.expected.cipherSize,
				records: v.expected.records
			});
			expect(bytesToHex(await sha256(ciphertext))).toBe(v.expected.ciphertextSha256Hex);
			if (v.expected.ciphertextHex !== undefined) expect(bytesToHex(ciphertext)).toBe(v.expected.ciphertextHex);
			const fromSize = layoutForCipherSize(v.expected.cipherSize, v.recordSize);
			expectSameBytes(await decryptChunks(keys.contentKey, fromSize, ciphertext, [1000]), plaintext);
		});

		it('sealed metadata', async () => {
			const { keys } = await senderKeys(v);
			expect(JSON.stringify(v.metadata)).toBe(v.metadataJson);
			const sealed = await sealMetadata(keys.metadataKey, v.metadata, hexToBytes(v.metadataNonce));
			expect(bytesToHex(sealed)).toBe(v.expected.sealedMetadataHex);
			const opened = await openMetadata(keys.metadataKey, hexToBytes(v.expected.sealedMetadataHex), v.expected.plainSize);
			expect(opened).toEqual(v.metadata);
		});
	});
});

describe.each(vectors.negative)('negative vector $name', (n) => {
	it(`fails with ${n.expectedError}`, async () => {
		if (n.check === 'decodeHeader') {
			await expectCryptoError(() => decodeHeader(hexToBytes(n.headerHex)), n.expectedError);
			return;
		}
		const base = caseNamed(n.base);
		const header = decodeHeader(hexToBytes(base.expected.headerHex));
		if (n.check === 'openShareKeys') {
			await expectCryptoError(openShareKeys(header, decodeSecret(n.secret), passwordKeyOf(base)), n.expectedError);
			return;
		}
		const keys = await openShareKeys(header, decodeSecret(base.secret), passwordKeyOf(base));
		const plaintext = expandPlaintext(base.plaintext);
		const { layout, ciphertext } = await encryptAll(keys.contentKey, plaintext, base.recordSize);
		const mutated = applyMutation(ciphertext, n.mutation);
		await expectCryptoError(decryptChunks(keys.contentKey, layout, mutated), n.expectedError);
	});
});
