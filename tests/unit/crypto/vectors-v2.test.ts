/** tests/vectors/v2.json (format v2) reproduced by src/lib/crypto, in Node and in Chromium. */
import { describe, expect, it } from 'vitest';
import {
	checkLink,
	createShareKeys,
	decodeHeader,
	decodeSecret,
	derivePasswordKey,
	deriveUnlockToken,
	encodeHeader,
	fromBase64Url,
	layoutForCipherSize,
	openMetadata,
	openShareKeys,
	sealMetadata,
	sha256,
	toBase64Url
} from '../../../src/lib/crypto';
import json from '../../vectors/v2.json';
import { expandPlaintext } from '../../vectors/vectors';
import { loadV2Vectors, type V2Case } from '../../vectors/vectors-v2';
import { bytesToHex, decryptChunks, encryptAll, expectCryptoError, expectSameBytes, hexToBytes } from './helpers';

const vectors = loadV2Vectors(json);
const optionalHex = (hex: string | undefined) => (hex === undefined ? undefined : hexToBytes(hex));

function sender(v: V2Case) {
	return createShareKeys({
		secret: decodeSecret(v.secret),
		salt: hexToBytes(v.salt),
		recordSize: v.recordSize,
		kdf: v.kdf,
		passwordKey: optionalHex(v.passwordKey),
		keyShare: optionalHex(v.keyShare)
	});
}

/** What the server returns on the right unlock: W and KC. */
function unlocked(v: V2Case) {
	if (!v.keyShare || !v.expected.keyCommitmentB64) return undefined;
	return { keyShare: hexToBytes(v.keyShare), keyCommitment: fromBase64Url(v.expected.keyCommitmentB64) };
}

const caseNamed = (name: string) => vectors.cases.find((c) => c.name === name)!;

describe('format v2 vectors', () => {
	it('cover no password, a password, and the real Argon2id end to end', () => {
		expect(vectors.cases.map((c) => c.name)).toEqual(['v2-no-password', 'v2-password', 'v2-password-argon2']);
		expect(caseNamed('v2-password-argon2').password).toBeDefined();
	});

	describe.each(vectors.cases)('$name', (v) => {
		it('sender: header, unlock token, key commitment and read token', async () => {
			const { headerBytes, keys, password } = await sender(v);
			expect(bytesToHex(headerBytes)).toBe(v.expected.headerHex);
			expect(headerBytes[4]).toBe(2);
			expect(toBase64Url(keys.readToken)).toBe(v.expected.readTokenB64);
			expect(toBase64Url(await sha256(keys.readToken))).toBe(v.expected.readTokenHashB64);
			if (v.kdf) {
				expect(toBase64Url(password!.unlockToken)).toBe(v.expected.unlockTokenB64);
				expect(toBase64Url(await sha256(password!.unlockToken))).toBe(v.expected.unlockTokenHashB64);
				expect(toBase64Url(password!.keyCommitment)).toBe(v.expected.keyCommitmentB64);
				expect(bytesToHex(password!.keyShare)).toBe(v.keyShare);
			} else {
				expect(password).toBeNull();
			}
		});

		it('recipient: the link checks alone, then the unlock token, then the keys with W', async () => {
			const header = decodeHeader(hexToBytes(v.expected.headerHex));
			expect(header.version).toBe(2);
			expect(bytesToHex(encodeHeader(header))).toBe(v.expected.headerHex);
			const secret = decodeSecret(v.secret);
			expect(await checkLink(header, secret)).toBe(true);
			const pk = optionalHex(v.passwordKey);
			if (pk) expect(toBase64Url(await deriveUnlockToken(header, secret, pk))).toBe(v.expected.unlockTokenB64);
			const keys = await openShareKeys(header, secret, pk, unlocked(v));
			expect(toBase64Url(keys.readToken)).toBe(v.expected.readTokenB64);
		});

		it('ciphertext and sealed metadata', async () => {
			const { keys } = await sender(v);
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
			expectSameBytes(
				await decryptChunks(keys.contentKey, layoutForCipherSize(v.expected.cipherSize, v.recordSize), ciphertext, [700]),
				plaintext
			);
			expect(JSON.stringify(v.metadata)).toBe(v.metadataJson);
			expect(bytesToHex(await sealMetadata(keys.metadataKey, v.metadata, hexToBytes(v.metadataNonce)))).toBe(v.expected.sealedMetadataHex);
			expect(await openMetadata(keys.metadataKey, hexToBytes(v.expected.sealedMetadataHex), v.expected.plainSize)).toEqual(v.metadata);
		});
	});

	it('the password of "v2-password-argon2" gives its passwordKey through the real Argon2id', async () => {
		const v = caseNamed('v2-password-argon2');
		const header = decodeHeader(hexToBytes(v.expected.headerHex));
		expect(bytesToHex(await derivePasswordKey(v.password!, header))).toBe(v.passwordKey);
	}, 30_000);
});

describe.each(vectors.negative)('negative v2 vector $name', (n) => {
	it(`fails with ${n.expectedError}`, async () => {
		if (n.check === 'decodeHeader') {
			await expectCryptoError(() => decodeHeader(hexToBytes(n.headerHex)), n.expectedError);
			return;
		}
		const base = caseNamed(n.base);
		const header = decodeHeader(hexToBytes(base.expected.headerHex));
		if (n.check === 'checkLink') {
			await expectCryptoError(checkLink(header, decodeSecret(n.secret)), n.expectedError);
			return;
		}
		const right = unlocked(base)!;
		const swapped = {
			keyShare: n.keyShare ? hexToBytes(n.keyShare) : right.keyShare,
			keyCommitment: n.keyCommitment ? hexToBytes(n.keyCommitment) : right.keyCommitment
		};
		await expectCryptoError(openShareKeys(header, decodeSecret(base.secret), optionalHex(base.passwordKey), swapped), n.expectedError);
	});
});
