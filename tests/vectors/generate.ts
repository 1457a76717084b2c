/**
 * Writes tests/vectors/v1.json from fixed inputs: `npx tsx tests/vectors/generate.ts`.
 * The output must only change when the format does; tests/unit/crypto/vectors.test.ts reproduces
 * every value with src/lib/crypto and tests/unit/crypto-node/ again with node:crypto alone.
 */
import { writeFileSync } from 'node:fs';
import {
	buildMetadata,
	createShareKeys,
	encryptBlobRecords,
	layoutForPlainSize,
	sealMetadata,
	sha256,
	toBase64Url,
	type Argon2Params
} from '../../src/lib/crypto';
import {
	applyMutation,
	bytesToHex,
	expandPlaintext,
	hexToBytes,
	type NegativeVector,
	type PlaintextSpec,
	type VectorCase,
	type VectorFile
} from './vectors';

const CREATED = 1795000000000;
const FULL_CIPHERTEXT_MAX = 4096;

interface CaseInput {
	name: string;
	description: string;
	recordSize: number;
	kdf: Argon2Params | null;
	plaintext: PlaintextSpec;
	files: { name: string; size: number; type: string }[];
	/** A note sealed in the metadata (shares made before notes moved into the content). */
	note?: string;
	/** A note at the end of the content, its UTF-8 length in the metadata's noteBytes (what this client writes). */
	noteInContent?: string;
}

const NOTE_IN_CONTENT = 'Grüße ✓ — read once';

const inputs: CaseInput[] = [
	{
		name: 'empty',
		description: 'n = 0: one empty record (16 bytes, last flag set)',
		recordSize: 1024,
		kdf: null,
		plaintext: '',
		files: [{ name: 'empty.txt', size: 0, type: 'text/plain' }]
	},
	{
		name: 'one-byte',
		description: 'n = 1',
		recordSize: 1024,
		kdf: null,
		plaintext: '2a',
		files: [{ name: 'a.txt', size: 1, type: 'text/plain' }],
		note: 'hi'
	},
	{
		name: 'one-full-record',
		description: 'n = R = 1024: exactly one full record, no empty record after it',
		recordSize: 1024,
		kdf: null,
		plaintext: { pattern: 'counter', length: 1024 },
		files: [{ name: 'one-record.bin', size: 1024, type: 'application/octet-stream' }]
	},
	{
		name: 'three-records-plus-5',
		description: 'n = 3·1024 + 5: three full records and a 5-byte last record; two files, non-ASCII names and note',
		recordSize: 1024,
		kdf: null,
		plaintext: { pattern: 'counter', length: 3077 },
		files: [
			{ name: 'docs/report.pdf', size: 2000, type: 'application/pdf' },
			{ name: 'photos/kätzchen.jpg', size: 1077, type: 'image/jpeg' }
		],
		note: 'Grüße ✓ — "quoted"\nsecond line'
	},
	{
		name: 'password',
		description: 'kdf = 01 (Argon2id m=65536 t=3 p=1); passwordKey stands for the Argon2id output',
		recordSize: 1024,
		kdf: { memoryKiB: 65536, passes: 3, parallelism: 1 },
		plaintext: { pattern: 'counter', length: 2000 },
		files: [{ name: 'secret.bin', size: 2000, type: '' }]
	},
	{
		name: 'default-record-size',
		description: 'R = 65536, n = 2·65536 + 100; metadata longer than 256 bytes',
		recordSize: 65536,
		kdf: null,
		plaintext: { pattern: 'counter', length: 131172 },
		files: [
			{
				name: 'a/first file with a long name, to make the metadata longer than one block.bin',
				size: 65536,
				type: 'application/octet-stream'
			},
			{ name: 'a/second.txt', size: 65536, type: 'text/plain; charset=utf-8' },
			{ name: 'b/third.json', size: 100, type: 'application/json' }
		],
		note: 'x'.repeat(120)
	},
	{
		name: 'note-in-content',
		description: 'a note after the files: 3 file bytes, then the note as UTF-8 (metadata noteBytes)',
		recordSize: 1024,
		kdf: null,
		plaintext: '0a0b0c' + Buffer.from(NOTE_IN_CONTENT, 'utf8').toString('hex'),
		files: [{ name: 'a.bin', size: 3, type: '' }],
		noteInContent: NOTE_IN_CONTENT
	}
];

/** Simple distinct fixed bytes per case: byte j = (base + j) mod 256. */
function fixedBytes(length: number, base: number): Uint8Array<ArrayBuffer> {
	return Uint8Array.from({ length }, (_, j) => (base + j) & 0xff);
}

async function ciphertextOf(key: CryptoKey, plaintext: Uint8Array<ArrayBuffer>, recordSize: number): Promise<Uint8Array> {
	const layout = layoutForPlainSize(plaintext.length, recordSize);
	const records: Uint8Array<ArrayBuffer>[] = [];
	for await (const record of encryptBlobRecords(key, new Blob([plaintext]), layout, 0, layout.records)) records.push(record);
	return new Uint8Array(await new Blob(records).arrayBuffer());
}

async function makeCase(input: CaseInput, i: number): Promise<{ vector: VectorCase; ciphertext: Uint8Array }> {
	const secret = fixedBytes(32, 32 * i);
	const salt = fixedBytes(32, 0x80 + 32 * i);
	const passwordKey = input.kdf ? fixedBytes(32, 0xf0 - 32 * i) : undefined;
	const metadataNonce = fixedBytes(12, 0x40 + 16 * i);
	const plaintext = expandPlaintext(input.plaintext);
	const { headerBytes, keys } = await createShareKeys({
		version: 1,
		secret,
		salt,
		recordSize: input.recordSize,
		kdf: input.kdf,
		passwordKey
	});
	const metadata = buildMetadata(
		input.files,
		input.noteInContent === undefined
			? { note: input.note, created: CREATED }
			: { noteBytes: Buffer.byteLength(input.noteInContent, 'utf8'), created: CREATED }
	);
	const ciphertext = await ciphertextOf(keys.contentKey, plaintext, input.recordSize);
	const layout = layoutForPlainSize(plaintext.length, input.recordSize);
	const vector: VectorCase = {
		name: input.name,
		description: input.description,
		secret: toBase64Url(secret),
		salt: bytesToHex(salt),
		recordSize: input.recordSize,
		kdf: input.kdf,
		...(passwordKey ? { passwordKey: bytesToHex(passwordKey) } : {}),
		plaintext: input.plaintext,
		metadata,
		metadataJson: JSON.stringify(metadata),
		metadataNonce: bytesToHex(metadataNonce),
		expected: {
			headerHex: bytesToHex(headerBytes),
			readTokenB64: toBase64Url(keys.readToken),
			readTokenHashB64: toBase64Url(await sha256(keys.readToken)),
			plainSize: layout.plainSize,
			cipherSize: layout.cipherSize,
			records: layout.records,
			...(ciphertext.length <= FULL_CIPHERTEXT_MAX ? { ciphertextHex: bytesToHex(ciphertext) } : {}),
			ciphertextSha256Hex: bytesToHex(await sha256(ciphertext)),
			sealedMetadataHex: bytesToHex(await sealMetadata(keys.metadataKey, metadata, metadataNonce))
		}
	};
	return { vector, ciphertext };
}

const made = await Promise.all(inputs.map(makeCase));
const byName = (name: string) => {
	const found = made.find((m) => m.vector.name === name);
	if (!found) throw new Error(`no case ${name}`);
	return found;
};

const withVersion3 = hexToBytes(byName('empty').vector.expected.headerHex);
withVersion3[4] = 3;
/** The header of "password" with its Argon2 fields replaced (offsets 42, 46, 50 of FORMAT.md §2). */
function withArgon2(memoryKiB: number, passes: number, parallelism: number): string {
	const bytes = hexToBytes(byName('password').vector.expected.headerHex);
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	view.setUint32(42, memoryKiB);
	view.setUint32(46, passes);
	bytes[50] = parallelism;
	return bytesToHex(bytes);
}

const flippedSecret = fixedBytes(32, 32 * inputs.findIndex((c) => c.name === 'one-byte'));
flippedSecret[0] = (flippedSecret[0] as number) ^ 0x01;

const negative: NegativeVector[] = [
	{
		name: 'tampered-record',
		description: 'three-records-plus-5 with one bit flipped inside record 1',
		check: 'decrypt',
		base: 'three-records-plus-5',
		mutation: { flip: { offset: 1040 + 17, mask: 0x01 } },
		expectedError: 'TAMPERED'
	},
	{
		name: 'tampered-tag',
		description: 'three-records-plus-5 with the last byte of the last tag flipped',
		check: 'decrypt',
		base: 'three-records-plus-5',
		mutation: { flip: { offset: 3140, mask: 0x80 } },
		expectedError: 'TAMPERED'
	},
	{
		name: 'truncated-at-record-boundary',
		description: 'three-records-plus-5 without its last record, decrypted with the original layout',
		check: 'decrypt',
		base: 'three-records-plus-5',
		mutation: { truncate: 3 * 1040 },
		expectedError: 'TRUNCATED'
	},
	{
		name: 'header-version-3',
		description: 'the header of "empty" with version byte 03 (02 is format v2, tests/vectors/v2.json)',
		check: 'decodeHeader',
		headerHex: bytesToHex(withVersion3),
		expectedError: 'UNSUPPORTED_VERSION'
	},
	{
		name: 'header-argon2-memory-max',
		description: 'the header of "password" with Argon2 memory 2^32-1 KiB',
		check: 'decodeHeader',
		headerHex: withArgon2(0xffffffff, 3, 1),
		expectedError: 'KDF_TOO_COSTLY'
	},
	{
		name: 'header-argon2-passes-max',
		description: 'the header of "password" with 2^32-1 Argon2 passes',
		check: 'decodeHeader',
		headerHex: withArgon2(65536, 0xffffffff, 1),
		expectedError: 'KDF_TOO_COSTLY'
	},
	{
		name: 'header-argon2-work',
		description: 'the header of "password" with m = 262144 KiB and t = 8: each at its limit, their product over it',
		check: 'decodeHeader',
		headerHex: withArgon2(262144, 8, 1),
		expectedError: 'KDF_TOO_COSTLY'
	},
	{
		name: 'header-argon2-zero-passes',
		description: 'the header of "password" with 0 Argon2 passes',
		check: 'decodeHeader',
		headerHex: withArgon2(65536, 0, 1),
		expectedError: 'BAD_HEADER'
	},
	{
		name: 'wrong-secret',
		description: 'the header of "one-byte" opened with bit 0 of the secret flipped',
		check: 'openShareKeys',
		base: 'one-byte',
		secret: toBase64Url(flippedSecret),
		expectedError: 'WRONG_KEY'
	}
];

// Sanity: the mutations must hit bytes that exist.
for (const n of negative) {
	if (n.check === 'decrypt') applyMutation(byName(n.base).ciphertext, n.mutation);
}

const file: VectorFile = { format: 'sealdrop', version: 1, cases: made.map((m) => m.vector), negative };
const target = new URL('./v1.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(file, null, '\t')}\n`);
console.log(`wrote ${target.pathname}: ${file.cases.length} cases, ${negative.length} negative`);
