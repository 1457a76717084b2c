/**
 * Writes tests/vectors/v2.json from fixed inputs: `npx tsx tests/vectors/generate-v2.ts`.
 * The output must only change when the format does; tests/unit/crypto/vectors-v2.test.ts
 * reproduces it with src/lib/crypto, tests/unit/crypto-node/cross-check-v2.test.ts with node:crypto.
 */
import { writeFileSync } from 'node:fs';
import {
	buildMetadata,
	createShareKeys,
	derivePasswordKey,
	encryptBlobRecords,
	layoutForPlainSize,
	sealMetadata,
	sha256,
	toBase64Url,
	type Argon2Params
} from '../../src/lib/crypto';
import { bytesToHex, expandPlaintext, type PlaintextSpec } from './vectors';
import type { V2Case, V2Negative, V2VectorFile } from './vectors-v2';

const CREATED = 1795000000000;
const FULL_CIPHERTEXT_MAX = 4096;

/** Byte j = (base + j) mod 256. */
const fixedBytes = (length: number, base: number) => Uint8Array.from({ length }, (_, j) => (base + j) & 0xff);
const ascii = (text: string) => new TextEncoder().encode(text);

interface Input {
	name: string;
	description: string;
	recordSize: number;
	kdf: Argon2Params | null;
	/** Run the real Argon2id on this password (else a fixed passwordKey stands for its output). */
	password?: string;
	salt?: Uint8Array;
	plaintext: PlaintextSpec;
	files: { name: string; size: number; type: string }[];
	noteInContent?: string;
}

const NOTE = 'Grüße ✓ — read once';

const inputs: Input[] = [
	{
		name: 'v2-no-password',
		description: 'kdf = 00: ikm = secret; n = 3·1024 + 5, two files',
		recordSize: 1024,
		kdf: null,
		plaintext: { pattern: 'counter', length: 3077 },
		files: [
			{ name: 'docs/report.pdf', size: 2000, type: 'application/pdf' },
			{ name: 'photos/kätzchen.jpg', size: 1077, type: 'image/jpeg' }
		]
	},
	{
		name: 'v2-password',
		description: 'kdf = 01 (m=65536 t=3 p=1); passwordKey stands for the Argon2id output; a note in the content',
		recordSize: 1024,
		kdf: { memoryKiB: 65536, passes: 3, parallelism: 1 },
		plaintext: '0a0b0c' + Buffer.from(NOTE, 'utf8').toString('hex'),
		files: [{ name: 'a.bin', size: 3, type: '' }],
		noteInContent: NOTE
	},
	{
		name: 'v2-password-argon2',
		description:
			'end to end: the password (NFC) → the real Argon2id output (the pk of tests/unit/crypto/password.test.ts, checked against the reference argon2 CLI) → header, U, KC, read token, metadata, ciphertext',
		recordSize: 1024,
		kdf: { memoryKiB: 65536, passes: 3, parallelism: 1 },
		password: 'Correct horse \u00e9 battery staple \u2713',
		salt: ascii('sealdrop-v1-test-salt-32-bytes!!'),
		plaintext: { pattern: 'counter', length: 2000 },
		files: [{ name: 'secret.bin', size: 2000, type: '' }]
	}
];

async function ciphertextOf(key: CryptoKey, plaintext: Uint8Array<ArrayBuffer>, recordSize: number): Promise<Uint8Array> {
	const layout = layoutForPlainSize(plaintext.length, recordSize);
	const records: Uint8Array<ArrayBuffer>[] = [];
	for await (const record of encryptBlobRecords(key, new Blob([plaintext]), layout, 0, layout.records)) records.push(record);
	return new Uint8Array(await new Blob(records).arrayBuffer());
}

async function makeCase(input: Input, i: number): Promise<V2Case> {
	const secret = fixedBytes(32, 0x11 + 32 * i);
	const salt = input.salt ?? fixedBytes(32, 0x91 + 32 * i);
	const metadataNonce = fixedBytes(12, 0x61 + 16 * i);
	const passwordKey = !input.kdf
		? undefined
		: input.password
			? await derivePasswordKey(input.password, { salt, kdf: input.kdf })
			: fixedBytes(32, 0xe1 - 32 * i);
	const keyShare = input.kdf ? fixedBytes(32, 0x31 + 32 * i) : undefined;
	const plaintext = expandPlaintext(input.plaintext);
	const made = await createShareKeys({ secret, salt, recordSize: input.recordSize, kdf: input.kdf, passwordKey, keyShare });
	const metadata = buildMetadata(input.files, {
		...(input.noteInContent === undefined ? {} : { noteBytes: Buffer.byteLength(input.noteInContent, 'utf8') }),
		created: CREATED
	});
	const ciphertext = await ciphertextOf(made.keys.contentKey, plaintext, input.recordSize);
	const layout = layoutForPlainSize(plaintext.length, input.recordSize);
	const held = made.password;
	return {
		name: input.name,
		description: input.description,
		secret: toBase64Url(secret),
		salt: bytesToHex(salt),
		recordSize: input.recordSize,
		kdf: input.kdf,
		...(input.password ? { password: input.password } : {}),
		...(passwordKey ? { passwordKey: bytesToHex(passwordKey) } : {}),
		...(keyShare ? { keyShare: bytesToHex(keyShare) } : {}),
		plaintext: input.plaintext,
		metadata,
		metadataJson: JSON.stringify(metadata),
		metadataNonce: bytesToHex(metadataNonce),
		expected: {
			headerHex: bytesToHex(made.headerBytes),
			...(held
				? {
						unlockTokenB64: toBase64Url(held.unlockToken),
						unlockTokenHashB64: toBase64Url(await sha256(held.unlockToken)),
						keyCommitmentB64: toBase64Url(held.keyCommitment)
					}
				: {}),
			readTokenB64: toBase64Url(made.keys.readToken),
			readTokenHashB64: toBase64Url(await sha256(made.keys.readToken)),
			plainSize: layout.plainSize,
			cipherSize: layout.cipherSize,
			records: layout.records,
			...(ciphertext.length <= FULL_CIPHERTEXT_MAX ? { ciphertextHex: bytesToHex(ciphertext) } : {}),
			ciphertextSha256Hex: bytesToHex(await sha256(ciphertext)),
			sealedMetadataHex: bytesToHex(await sealMetadata(made.keys.metadataKey, metadata, metadataNonce))
		}
	};
}

const cases: V2Case[] = [];
for (const [i, input] of inputs.entries()) cases.push(await makeCase(input, i));
const byName = (name: string) => cases.find((c) => c.name === name)!;

/** The header of `base` with its Argon2 fields replaced (offsets 42, 46, 50 of FORMAT.md §2). */
function withArgon2(base: string, memoryKiB: number, passes: number): string {
	const bytes = Buffer.from(byName(base).expected.headerHex, 'hex');
	bytes.writeUInt32BE(memoryKiB, 42);
	bytes.writeUInt32BE(passes, 46);
	return bytes.toString('hex');
}
const flipFirst = (hex: string) => (parseInt(hex.slice(0, 2), 16) ^ 1).toString(16).padStart(2, '0') + hex.slice(2);
const flippedSecret = Buffer.from(byName('v2-password').secret, 'base64url');
flippedSecret[0] = (flippedSecret[0] as number) ^ 0x01;

const negative: V2Negative[] = [
	{
		name: 'v2-wrong-secret',
		description: 'the header of "v2-password" checked with bit 0 of the secret flipped: WRONG_KEY before any password',
		check: 'checkLink',
		base: 'v2-password',
		secret: toBase64Url(flippedSecret),
		expectedError: 'WRONG_KEY'
	},
	{
		name: 'v2-wrong-key-share',
		description: '"v2-password" opened with bit 0 of W flipped (a server that swapped W): WRONG_KEY at the key commitment',
		check: 'openShareKeys',
		base: 'v2-password',
		keyShare: flipFirst(byName('v2-password').keyShare!),
		expectedError: 'WRONG_KEY'
	},
	{
		name: 'v2-wrong-key-commitment',
		description: '"v2-password" opened with bit 0 of KC flipped: WRONG_KEY',
		check: 'openShareKeys',
		base: 'v2-password',
		keyCommitment: flipFirst(Buffer.from(byName('v2-password').expected.keyCommitmentB64!, 'base64url').toString('hex')),
		expectedError: 'WRONG_KEY'
	},
	{
		name: 'v2-header-argon2-memory-max',
		description: 'the header of "v2-password" with Argon2 memory 2^32-1 KiB',
		check: 'decodeHeader',
		headerHex: withArgon2('v2-password', 0xffffffff, 3),
		expectedError: 'KDF_TOO_COSTLY'
	},
	{
		name: 'v2-header-argon2-passes-max',
		description: 'the header of "v2-password" with 2^32-1 Argon2 passes',
		check: 'decodeHeader',
		headerHex: withArgon2('v2-password', 65536, 0xffffffff),
		expectedError: 'KDF_TOO_COSTLY'
	}
];

const file: V2VectorFile = { format: 'sealdrop', version: 2, cases, negative };
const target = new URL('./v2.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(file, null, '\t')}\n`);
console.log(`wrote ${target.pathname}: ${cases.length} cases, ${negative.length} negative`);
