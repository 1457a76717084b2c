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
	type CryptoErrorCode,
	type ShareKeys
} from '../../../src/lib/crypto';
import json from '../../vectors/v1.json';
import { applyMutation, expandPlaintext, loadVectors, type NegativeVector, type VectorCase } from '../../vectors/vectors';
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
		for (const name of ['empty', 'one-byte', 'one-full-record', 'three-records-plus-5', 'password', 'note-only', 'metadata-256']) {
			expect(names).toContain(name);
		}
		expect(caseNamed('password').kdf).not.toBeNull();
		expect(caseNamed('note-only').metadata.files).toEqual([]);
		// Already a multiple of 256 bytes: sealed without padding.
		expect(new TextEncoder().encode(caseNamed('metadata-256').metadataJson).length).toBe(256);
		expect(caseNamed('metadata-256').expected.sealedMetadataHex.length).toBe(2 * (12 + 256 + 16));
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

/** Every reader error of FORMAT.md §6 that the bytes of a v1 share can cause. */
const READER_ERRORS: CryptoErrorCode[] = [
	'BAD_SECRET',
	'BAD_HEADER',
	'KDF_TOO_COSTLY',
	'UNSUPPORTED_VERSION',
	'WRONG_KEY',
	'BAD_SIZE',
	'TAMPERED',
	'TRUNCATED',
	'TRAILING_DATA',
	'BAD_METADATA'
];

it('negative vectors cover every reader error', () => {
	const covered = new Set(vectors.negative.map((n) => n.expectedError));
	expect(READER_ERRORS.filter((code) => !covered.has(code))).toEqual([]);
});

/** What a reader does with the vector's input; it must throw the vector's error. */
async function readNegative(n: NegativeVector): Promise<unknown> {
	if (n.check === 'decodeSecret') return decodeSecret(n.secret);
	if (n.check === 'decodeHeader') return decodeHeader(hexToBytes(n.headerHex));
	if (n.check === 'cipherSize') return layoutForCipherSize(n.cipherSize, n.recordSize);
	const base = caseNamed(n.base);
	const header = decodeHeader(hexToBytes(base.expected.headerHex));
	if (n.check === 'openShareKeys') return openShareKeys(header, decodeSecret(n.secret), passwordKeyOf(base));
	const keys = await openShareKeys(header, decodeSecret(base.secret), passwordKeyOf(base));
	if (n.check === 'openMetadata') return openMetadata(keys.metadataKey, hexToBytes(n.sealedMetadataHex), n.plainSize);
	const plaintext = expandPlaintext(base.plaintext);
	const { layout, ciphertext } = await encryptAll(keys.contentKey, plaintext, base.recordSize);
	return decryptChunks(keys.contentKey, layout, applyMutation(ciphertext, n.mutation));
}

describe.each(vectors.negative)('negative vector $name', (n) => {
	it(`fails with ${n.expectedError}`, async () => {
		await expectCryptoError(() => readNegative(n), n.expectedError);
	});
});
