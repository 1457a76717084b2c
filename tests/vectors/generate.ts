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
const NOTE_ONLY = 'Only a note, no files ✓';

/** A name that makes the metadata JSON of METADATA_256_FILE exactly 256 bytes, so no padding is added. */
function nameFor256(): string {
	const json = (name: string) => JSON.stringify({ v: 1, files: [{ name, size: 4, type: 'text/plain', offset: 0 }], created: CREATED });
	const stem = 'exactly-256/';
	const name = stem + 'x'.repeat(256 - json(stem).length);
	if (json(name).length !== 256) throw new Error('metadata-256 is not 256 bytes');
	return name;
}

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
	},
	{
		name: 'note-only',
		description: 'a note-only share: files [], the plaintext is the note alone, n = noteBytes (FORMAT.md §5.1)',
		recordSize: 1024,
		kdf: null,
		plaintext: Buffer.from(NOTE_ONLY, 'utf8').toString('hex'),
		files: [],
		noteInContent: NOTE_ONLY
	},
	{
		name: 'metadata-256',
		description: 'metadata JSON of exactly 256 bytes: sealed as it is, no padding added',
		recordSize: 1024,
		kdf: null,
		plaintext: '00010203',
		files: [{ name: nameFor256(), size: 4, type: 'text/plain' }]
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

async function makeCase(input: CaseInput, i: number): Promise<{ vector: VectorCase; ciphertext: Uint8Array; metadataKey: CryptoKey }> {
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
	return { vector, ciphertext, metadataKey: keys.metadataKey };
}

const made = await Promise.all(inputs.map(makeCase));
const byName = (name: string) => {
	const found = made.find((m) => m.vector.name === name);
	if (!found) throw new Error(`no case ${name}`);
	return found;
};

/** The header of "password" with its Argon2 fields replaced (offsets 42, 46, 50 of FORMAT.md §2). */
function withArgon2(memoryKiB: number, passes: number, parallelism: number): string {
	const bytes = hexToBytes(byName('password').vector.expected.headerHex);
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	view.setUint32(42, memoryKiB);
	view.setUint32(46, passes);
	bytes[50] = parallelism;
	return bytesToHex(bytes);
}

/** The header of `base` with one byte or one uint32 replaced, or cut to `length` bytes. */
function headerWith(base: string, change: { at: number; value: number } | { at: number; uint32: number } | { length: number }): string {
	const bytes = hexToBytes(byName(base).vector.expected.headerHex);
	if ('length' in change) return bytesToHex(bytes.subarray(0, change.length));
	if ('uint32' in change) new DataView(bytes.buffer).setUint32(change.at, change.uint32);
	else bytes[change.at] = change.value;
	return bytesToHex(bytes);
}

/** Seals `text` (UTF-8) under `base`'s metadata key, padded like §5 unless `pad` is false. */
async function sealedRaw(base: string, text: string, pad = true): Promise<{ sealedMetadataHex: string; decryptedText: string }> {
	const json = Buffer.from(text, 'utf8');
	const padded = Buffer.alloc(pad ? Math.ceil(json.length / 256) * 256 : json.length, 0x20);
	json.copy(padded);
	const iv = fixedBytes(12, 0xa0);
	const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, byName(base).metadataKey, padded));
	return { sealedMetadataHex: bytesToHex(iv) + bytesToHex(sealed), decryptedText: padded.toString('utf8') };
}

/** The metadata of `base` as JSON text, with some keys changed (undefined removes one). */
function metadataText(base: string, changes: Record<string, unknown>): string {
	return JSON.stringify({ ...byName(base).vector.metadata, ...changes });
}

const oneFull = byName('one-full-record').vector;
const noteOnly = byName('note-only').vector;
const flippedMetadata = hexToBytes(oneFull.expected.sealedMetadataHex);
flippedMetadata[20] = (flippedMetadata[20] as number) ^ 0x01;

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
	},
	{
		name: 'secret-42-characters',
		description: 'the secret of "one-byte" without its last character',
		check: 'decodeSecret',
		secret: byName('one-byte').vector.secret.slice(0, 42),
		expectedError: 'BAD_SECRET'
	},
	{
		name: 'secret-44-characters',
		description: 'the secret of "one-byte" with one more character',
		check: 'decodeSecret',
		secret: `${byName('one-byte').vector.secret}A`,
		expectedError: 'BAD_SECRET'
	},
	{
		name: 'secret-unused-bits-set',
		description: '43 characters whose last one ("B") sets one of the 2 unused low bits: not canonical',
		check: 'decodeSecret',
		secret: `${byName('empty').vector.secret.slice(0, 42)}B`,
		expectedError: 'BAD_SECRET'
	},
	{
		name: 'secret-not-base64url',
		description: '43 characters, one of them "+" (base64, not base64url)',
		check: 'decodeSecret',
		secret: `+${byName('empty').vector.secret.slice(1)}`,
		expectedError: 'BAD_SECRET'
	},
	{
		name: 'header-bad-magic',
		description: 'the header of "empty" with "SDRQ" as its magic',
		check: 'decodeHeader',
		headerHex: headerWith('empty', { at: 3, value: 0x51 }),
		expectedError: 'BAD_HEADER'
	},
	{
		name: 'header-82-bytes',
		description: 'the header of "empty" without its last byte',
		check: 'decodeHeader',
		headerHex: headerWith('empty', { length: 82 }),
		expectedError: 'BAD_HEADER'
	},
	{
		name: 'header-4-bytes',
		description: 'only the magic',
		check: 'decodeHeader',
		headerHex: headerWith('empty', { length: 4 }),
		expectedError: 'BAD_HEADER'
	},
	{
		name: 'header-unknown-kdf',
		description: 'the header of "empty" with kdf byte 02',
		check: 'decodeHeader',
		headerHex: headerWith('empty', { at: 5, value: 2 }),
		expectedError: 'BAD_HEADER'
	},
	{
		name: 'header-record-size-1023',
		description: 'the header of "empty" with record size 1023 (below 1024)',
		check: 'decodeHeader',
		headerHex: headerWith('empty', { at: 6, uint32: 1023 }),
		expectedError: 'BAD_HEADER'
	},
	{
		name: 'header-version-3',
		description: 'the header of "empty" with version byte 03 (02 is format v2: tests/vectors/v2.json)',
		check: 'decodeHeader',
		headerHex: headerWith('empty', { at: 4, value: 3 }),
		expectedError: 'UNSUPPORTED_VERSION'
	},
	{
		name: 'header-version-3-longer',
		description: 'a version 03 header of 100 bytes: the version is checked before the length',
		check: 'decodeHeader',
		headerHex: headerWith('empty', { at: 4, value: 3 }) + '00'.repeat(17),
		expectedError: 'UNSUPPORTED_VERSION'
	},
	{
		name: 'cipher-size-15',
		description: 'fewer bytes than one tag',
		check: 'cipherSize',
		recordSize: 1024,
		cipherSize: 15,
		expectedError: 'BAD_SIZE'
	},
	{
		name: 'cipher-size-empty-last-record',
		description: 'R = 1024, C = 1040 + 16: a full record followed by an empty one, which no plaintext gives',
		check: 'cipherSize',
		recordSize: 1024,
		cipherSize: 1056,
		expectedError: 'BAD_SIZE'
	},
	{
		name: 'cipher-size-partial-tag',
		description: 'R = 1024, C = 1040 + 10: a last record shorter than its tag',
		check: 'cipherSize',
		recordSize: 1024,
		cipherSize: 1050,
		expectedError: 'BAD_SIZE'
	},
	{
		name: 'truncated-mid-record',
		description: 'three-records-plus-5 cut in the middle of record 1',
		check: 'decrypt',
		base: 'three-records-plus-5',
		mutation: { truncate: 1040 + 520 },
		expectedError: 'TRUNCATED'
	},
	{
		name: 'truncated-mid-last-record',
		description: 'three-records-plus-5 without the last byte of its last tag',
		check: 'decrypt',
		base: 'three-records-plus-5',
		mutation: { truncate: 3140 },
		expectedError: 'TRUNCATED'
	},
	{
		name: 'trailing-data',
		description: 'three-records-plus-5 with one byte after its last record',
		check: 'decrypt',
		base: 'three-records-plus-5',
		mutation: { append: '00' },
		expectedError: 'TRAILING_DATA'
	},
	{
		name: 'trailing-record',
		description: 'one-full-record followed by 16 more bytes (what an empty record would take)',
		check: 'decrypt',
		base: 'one-full-record',
		mutation: { append: '00'.repeat(16) },
		expectedError: 'TRAILING_DATA'
	},
	{
		name: 'metadata-tampered',
		description: 'the sealed metadata of "one-full-record" with one bit flipped in its ciphertext',
		check: 'openMetadata',
		base: 'one-full-record',
		sealedMetadataHex: bytesToHex(flippedMetadata),
		plainSize: oneFull.expected.plainSize,
		expectedError: 'TAMPERED'
	},
	{
		name: 'metadata-not-padded',
		description: 'the metadata JSON of "one-full-record" sealed without its padding: not a multiple of 256 bytes',
		check: 'openMetadata',
		base: 'one-full-record',
		...(await sealedRaw('one-full-record', oneFull.metadataJson, false)),
		plainSize: oneFull.expected.plainSize,
		expectedError: 'BAD_METADATA'
	},
	{
		name: 'metadata-sizes-do-not-add-up',
		description: 'the metadata of "one-full-record" with size 1023 for its 1024-byte content',
		check: 'openMetadata',
		base: 'one-full-record',
		...(await sealedRaw('one-full-record', metadataText('one-full-record', { files: [{ ...oneFull.metadata.files[0], size: 1023 }] }))),
		plainSize: oneFull.expected.plainSize,
		expectedError: 'BAD_METADATA'
	},
	{
		name: 'metadata-bad-name',
		description: 'the metadata of "one-full-record" with the name "../one-record.bin"',
		check: 'openMetadata',
		base: 'one-full-record',
		...(await sealedRaw(
			'one-full-record',
			metadataText('one-full-record', { files: [{ ...oneFull.metadata.files[0], name: '../one-record.bin' }] })
		)),
		plainSize: oneFull.expected.plainSize,
		expectedError: 'BAD_METADATA'
	},
	{
		name: 'metadata-note-and-noteBytes',
		description: 'the metadata of "note-only" with a note as well as noteBytes',
		check: 'openMetadata',
		base: 'note-only',
		...(await sealedRaw(
			'note-only',
			JSON.stringify({ v: 1, files: [], note: 'hi', noteBytes: noteOnly.metadata.noteBytes, created: CREATED })
		)),
		plainSize: noteOnly.expected.plainSize,
		expectedError: 'BAD_METADATA'
	},
	{
		name: 'metadata-empty-share',
		description: 'a share with neither files nor a note (files [], no note, n = 0), under the key of "empty": refused',
		check: 'openMetadata',
		base: 'empty',
		...(await sealedRaw('empty', JSON.stringify({ v: 1, files: [], created: CREATED }))),
		plainSize: 0,
		expectedError: 'BAD_METADATA'
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
