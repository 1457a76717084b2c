/**
 * Writes tests/vectors/requests.json from fixed inputs: `npx tsx tests/vectors/generate-requests.ts`.
 * The output must only change when the format does; tests/unit/crypto/requests-vectors.test.ts
 * reproduces it with src/lib/crypto (Node and Chromium), tests/unit/crypto-node/cross-check-requests.test.ts
 * with node:crypto alone.
 */
import { createECDH, createHash, createPrivateKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import {
	buildMetadata,
	createShareKeys,
	createSubmissionSecret,
	encryptBlobRecords,
	encryptKeyFile,
	importRequestPrivateKey,
	layoutForPlainSize,
	requestKeyTag,
	sealMetadata,
	sealRequestInfo,
	toBase64Url
} from '../../src/lib/crypto';
import { bytesToHex, hexToBytes } from './vectors';
import type { RequestsVectorFile, VectorKeyPair } from './vectors-requests';

const CREATED = 1795000000000;
const fixedBytes = (length: number, base: number) => Uint8Array.from({ length }, (_, j) => (base + j) & 0xff);

/** A P-256 key pair whose scalar is SHA-256(seed): fixed, and valid (far below the group order). */
function keyPair(seed: string): VectorKeyPair {
	const d = createHash('sha256').update(seed).digest();
	const ecdh = createECDH('prime256v1');
	ecdh.setPrivateKey(d);
	const pub = ecdh.getPublicKey();
	const jwk = {
		kty: 'EC',
		crv: 'P-256',
		d: d.toString('base64url'),
		x: pub.subarray(1, 33).toString('base64url'),
		y: pub.subarray(33).toString('base64url')
	};
	const pkcs8 = createPrivateKey({ key: jwk, format: 'jwk' }).export({ format: 'der', type: 'pkcs8' });
	return { d: d.toString('hex'), pkcs8: pkcs8.toString('hex'), publicKey: pub.toString('hex') };
}

const imported = (pair: VectorKeyPair) => importRequestPrivateKey(hexToBytes(pair.pkcs8), hexToBytes(pair.publicKey));

const rs = fixedBytes(32, 0x21);
const requester = keyPair('sealdrop requests vector: requester');
const info = { title: 'Receipts for March ✓', message: 'Bitte alle Belege als PDF — danke!' };
const infoNonce = fixedBytes(12, 0x41);
const sealedInfo = await sealRequestInfo(rs, info, infoNonce);

const submissionInputs = [
	{ name: 'submission-1', plaintext: '0001020304050607', files: [{ name: 'receipt.pdf', size: 8, type: 'application/pdf' }] },
	{ name: 'submission-2', plaintext: 'ffeeddcc', files: [{ name: 'scans/beleg ä.jpg', size: 4, type: 'image/jpeg' }] }
];

const submissions: RequestsVectorFile['submissions'] = [];
for (const [i, input] of submissionInputs.entries()) {
	const ephemeral = keyPair(`sealdrop requests vector: ephemeral ${i + 1}`);
	const { secret } = await createSubmissionSecret(hexToBytes(requester.publicKey), await imported(ephemeral));
	const salt = fixedBytes(32, 0x81 + 32 * i);
	const metadataNonce = fixedBytes(12, 0x51 + 16 * i);
	const made = await createShareKeys({ secret, salt, recordSize: 1024 });
	const plaintext = hexToBytes(input.plaintext);
	const layout = layoutForPlainSize(plaintext.length, 1024);
	const records: Uint8Array<ArrayBuffer>[] = [];
	for await (const record of encryptBlobRecords(made.keys.contentKey, new Blob([plaintext]), layout, 0, layout.records))
		records.push(record);
	const metadata = buildMetadata(input.files, { created: CREATED });
	const ecdh = createECDH('prime256v1');
	ecdh.setPrivateKey(Buffer.from(ephemeral.d, 'hex'));
	submissions.push({
		name: input.name,
		ephemeral,
		salt: bytesToHex(salt),
		recordSize: 1024,
		plaintext: input.plaintext,
		metadata,
		metadataNonce: bytesToHex(metadataNonce),
		expected: {
			sharedHex: ecdh.computeSecret(Buffer.from(requester.publicKey, 'hex')).toString('hex'),
			secretB64: toBase64Url(secret),
			headerHex: bytesToHex(made.headerBytes),
			readTokenB64: toBase64Url(made.keys.readToken),
			ciphertextHex: bytesToHex(new Uint8Array(await new Blob(records).arrayBuffer())),
			sealedMetadataHex: bytesToHex(await sealMetadata(made.keys.metadataKey, metadata, metadataNonce))
		}
	});
}

// Small Argon2id costs keep the vector quick to check; real files use DEFAULT_ARGON2.
const keyFileInput = {
	passphrase: 'correct horse ✓ battery',
	kdf: { memoryKiB: 1024, passes: 1, parallelism: 1 },
	salt: fixedBytes(32, 0xa1),
	nonce: fixedBytes(12, 0xc1)
};
const keyFile = await encryptKeyFile(hexToBytes(requester.pkcs8), hexToBytes(requester.publicKey), keyFileInput.passphrase, keyFileInput);

const other = keyPair('sealdrop requests vector: a key the server swapped in');
const flipped = Buffer.from(sealedInfo);
flipped[20] = (flipped[20] as number) ^ 0x01;
const notOnCurve = Buffer.from(requester.publicKey, 'hex');
notOnCurve[64] = (notOnCurve[64] as number) ^ 0x01;

const file: RequestsVectorFile = {
	format: 'sealdrop-requests',
	version: 1,
	request: {
		rs: toBase64Url(rs),
		requester,
		info,
		infoNonce: bytesToHex(infoNonce),
		expected: {
			keyTagHex: bytesToHex(await requestKeyTag(rs, hexToBytes(requester.publicKey))),
			sealedInfoHex: bytesToHex(sealedInfo),
			infoJson: JSON.stringify({ v: 1, ...info })
		}
	},
	submissions,
	keyFile: {
		passphrase: keyFileInput.passphrase,
		kdf: keyFileInput.kdf,
		salt: bytesToHex(keyFileInput.salt),
		nonce: bytesToHex(keyFileInput.nonce),
		expected: keyFile
	},
	negative: [
		{
			name: 'swapped-key',
			description: 'another valid public key served with the request’s key tag (a server that swapped the key)',
			check: 'checkRequestKey',
			publicKey: other.publicKey,
			expectedError: 'REQUEST_KEY_MISMATCH'
		},
		{
			name: 'key-not-on-curve',
			description: 'the requester’s public key with bit 0 of its last byte flipped: not a point on P-256',
			check: 'importRequestPublicKey',
			publicKey: notOnCurve.toString('hex'),
			expectedError: 'BAD_PUBLIC_KEY'
		},
		{
			name: 'info-flipped',
			description: 'the sealed info with bit 0 of byte 20 flipped',
			check: 'openRequestInfo',
			sealedInfoHex: flipped.toString('hex'),
			expectedError: 'TAMPERED'
		},
		{
			name: 'key-file-wrong-passphrase',
			description: 'the key file opened with the passphrase less its last character',
			check: 'importRequestKey',
			keyFile,
			passphrase: keyFileInput.passphrase.slice(0, -1),
			expectedError: 'WRONG_PASSPHRASE'
		},
		{
			name: 'key-file-swapped-public-key',
			description: 'the key file with another public key (authenticated data): the right passphrase fails',
			check: 'importRequestKey',
			keyFile: { ...keyFile, publicKey: Buffer.from(other.publicKey, 'hex').toString('base64url') },
			passphrase: keyFileInput.passphrase,
			expectedError: 'WRONG_PASSPHRASE'
		},
		{
			name: 'key-file-too-costly',
			description: 'the key file asking for 2^20 KiB × 8 passes of Argon2id, above every reader’s limit',
			check: 'importRequestKey',
			keyFile: { ...keyFile, kdf: { name: 'argon2id', memoryKiB: 1048576, passes: 8, parallelism: 1 } },
			passphrase: keyFileInput.passphrase,
			expectedError: 'KDF_TOO_COSTLY'
		},
		{
			name: 'key-file-not-one',
			description: 'a JSON object of another format',
			check: 'importRequestKey',
			keyFile: { format: 'something-else', v: 1 },
			passphrase: keyFileInput.passphrase,
			expectedError: 'BAD_KEY_FILE'
		}
	]
};

const target = new URL('./requests.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(file, null, '\t')}\n`);
console.log(`wrote ${target.pathname}: ${submissions.length} submissions, ${file.negative.length} negative`);
