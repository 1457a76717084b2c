/** tests/vectors/requests.json (file requests, FORMAT.md §11) reproduced by src/lib/crypto, in Node and in Chromium. */
import { describe, expect, it } from 'vitest';
import {
	checkRequestKey,
	createShareKeys,
	createSubmissionSecret,
	decodeHeader,
	decodeSecret,
	encryptKeyFile,
	importRequestKey,
	importRequestPrivateKey,
	importRequestPublicKey,
	layoutForCipherSize,
	openMetadata,
	openRequestInfo,
	openShareKeys,
	openSubmissionSecret,
	requestKeyTag,
	sealRequestInfo,
	toBase64Url
} from '../../../src/lib/crypto';
import json from '../../vectors/requests.json';
import { loadRequestsVectors, type VectorKeyPair } from '../../vectors/vectors-requests';
import { bytesToHex, decryptChunks, expectCryptoError, hexToBytes } from './helpers';

const vectors = loadRequestsVectors(json);
const { request } = vectors;
const rs = decodeSecret(request.rs);
const requesterKey = hexToBytes(request.requester.publicKey);
const pair = (keys: VectorKeyPair) => importRequestPrivateKey(hexToBytes(keys.pkcs8), hexToBytes(keys.publicKey));

describe('file request vectors', () => {
	it('key tag and sealed info', async () => {
		expect(bytesToHex(await requestKeyTag(rs, requesterKey))).toBe(request.expected.keyTagHex);
		expect(bytesToHex(await sealRequestInfo(rs, request.info, hexToBytes(request.infoNonce)))).toBe(request.expected.sealedInfoHex);
		await checkRequestKey(rs, requesterKey, hexToBytes(request.expected.keyTagHex));
		expect(await openRequestInfo(rs, hexToBytes(request.expected.sealedInfoHex))).toEqual(request.info);
	});

	describe.each(vectors.submissions)('$name', (s) => {
		it('submitter: the secret from the ephemeral key, then header, read token, metadata and records as a v2 share', async () => {
			const { secret, ephemeralKey } = await createSubmissionSecret(requesterKey, await pair(s.ephemeral));
			expect(toBase64Url(secret)).toBe(s.expected.secretB64);
			expect(bytesToHex(ephemeralKey)).toBe(s.ephemeral.publicKey);
			const made = await createShareKeys({ secret, salt: hexToBytes(s.salt), recordSize: s.recordSize });
			expect(bytesToHex(made.headerBytes)).toBe(s.expected.headerHex);
			expect(toBase64Url(made.keys.readToken)).toBe(s.expected.readTokenB64);
		});

		it('requester: the same secret from the private key, and the share opens', async () => {
			const secret = await openSubmissionSecret(await pair(request.requester), hexToBytes(s.ephemeral.publicKey));
			expect(toBase64Url(secret)).toBe(s.expected.secretB64);
			const keys = await openShareKeys(decodeHeader(hexToBytes(s.expected.headerHex)), secret);
			const ciphertext = hexToBytes(s.expected.ciphertextHex);
			const plain = await decryptChunks(keys.contentKey, layoutForCipherSize(ciphertext.length, s.recordSize), ciphertext);
			expect(bytesToHex(plain)).toBe(s.plaintext);
			expect(await openMetadata(keys.metadataKey, hexToBytes(s.expected.sealedMetadataHex), plain.length)).toEqual(s.metadata);
		});
	});

	it('key file: written byte for byte, and opened with its passphrase', async () => {
		const k = vectors.keyFile;
		const file = await encryptKeyFile(hexToBytes(request.requester.pkcs8), requesterKey, k.passphrase, {
			kdf: k.kdf,
			salt: hexToBytes(k.salt),
			nonce: hexToBytes(k.nonce)
		});
		expect(file).toEqual(k.expected);
		const keys = await importRequestKey(JSON.stringify(k.expected), k.passphrase);
		expect(bytesToHex(keys.publicKey)).toBe(request.requester.publicKey);
		const first = vectors.submissions[0]!;
		expect(toBase64Url(await openSubmissionSecret(keys, hexToBytes(first.ephemeral.publicKey)))).toBe(first.expected.secretB64);
	});

	describe.each(vectors.negative)('negative: $name', (n) => {
		it(`fails with ${n.expectedError}`, async () => {
			const run = async () => {
				switch (n.check) {
					case 'checkRequestKey':
						return checkRequestKey(rs, hexToBytes(n.publicKey!), hexToBytes(request.expected.keyTagHex));
					case 'importRequestPublicKey':
						return importRequestPublicKey(hexToBytes(n.publicKey!));
					case 'openRequestInfo':
						return openRequestInfo(rs, hexToBytes(n.sealedInfoHex!));
					case 'importRequestKey':
						return importRequestKey(n.keyFile, n.passphrase!);
				}
			};
			await expectCryptoError(run(), n.expectedError);
		});
	});
});
