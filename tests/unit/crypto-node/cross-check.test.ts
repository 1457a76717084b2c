/**
 * Recomputes every vector in tests/vectors/v1.json with node:crypto alone (hkdfSync, aes-256-gcm),
 * without src/lib/crypto, so a bug shared by the generator and the implementation cannot hide.
 * Node project only (it imports node: modules).
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import json from '../../vectors/v1.json';
import { applyMutation, expandPlaintext, loadVectors, type VectorCase } from '../../vectors/vectors';

const vectors = loadVectors(json);
const RECORD_TAG = 16;

function header(v: VectorCase): Buffer {
	const prefix = Buffer.alloc(51);
	prefix.write('SDRP', 0, 'latin1');
	prefix[4] = 1;
	prefix[5] = v.kdf ? 1 : 0;
	prefix.writeUInt32BE(v.recordSize, 6);
	Buffer.from(v.salt, 'hex').copy(prefix, 10);
	prefix.writeUInt32BE(v.kdf?.memoryKiB ?? 0, 42);
	prefix.writeUInt32BE(v.kdf?.passes ?? 0, 46);
	prefix[50] = v.kdf?.parallelism ?? 0;
	return prefix;
}

function derive(v: VectorCase, prefix: Buffer, label: string): Buffer {
	const secret = Buffer.from(v.secret, 'base64url');
	const ikm = v.passwordKey ? Buffer.concat([secret, Buffer.from(v.passwordKey, 'hex')]) : secret;
	const info = Buffer.concat([Buffer.from(`sealdrop/v1/${label}`, 'utf8'), Buffer.from([0]), prefix]);
	return Buffer.from(hkdfSync('sha256', ikm, Buffer.from(v.salt, 'hex'), info, 32));
}

function gcm(key: Buffer, nonce: Buffer, plaintext: Uint8Array): Buffer {
	const cipher = createCipheriv('aes-256-gcm', key, nonce);
	return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function nonce(index: number, last: boolean): Buffer {
	const out = Buffer.alloc(12);
	out.writeBigUInt64BE(BigInt(index), 3); // uint88: the top 3 bytes stay zero below 2^64
	out[11] = last ? 1 : 0;
	return out;
}

function encryptStream(key: Buffer, plaintext: Uint8Array, recordSize: number): Buffer {
	const records = Math.max(1, Math.ceil(plaintext.length / recordSize));
	const parts: Buffer[] = [];
	for (let i = 0; i < records; i++) {
		parts.push(gcm(key, nonce(i, i === records - 1), plaintext.subarray(i * recordSize, (i + 1) * recordSize)));
	}
	return Buffer.concat(parts);
}

/** Opens record after record like a reader; returns the first failure as a word. */
function decryptStream(key: Buffer, ciphertext: Uint8Array, cipherSize: number, recordSize: number): string {
	const full = recordSize + RECORD_TAG;
	const records = Math.ceil(cipherSize / full);
	for (let i = 0; i < records; i++) {
		const start = i * full;
		const end = Math.min(start + full, cipherSize);
		if (ciphertext.length < end) return 'TRUNCATED';
		const record = ciphertext.subarray(start, end);
		const decipher = createDecipheriv('aes-256-gcm', key, nonce(i, i === records - 1));
		decipher.setAuthTag(record.subarray(record.length - RECORD_TAG));
		decipher.update(record.subarray(0, record.length - RECORD_TAG));
		try {
			decipher.final();
		} catch {
			return 'TAMPERED';
		}
	}
	return ciphertext.length > cipherSize ? 'TRAILING_DATA' : 'OK';
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('test vectors, recomputed with node:crypto', () => {
	it('has the cases the format promises', () => {
		expect(vectors.cases.map((c) => c.name)).toEqual(
			expect.arrayContaining(['empty', 'one-byte', 'one-full-record', 'three-records-plus-5', 'password'])
		);
	});

	describe.each(vectors.cases)('$name', (v) => {
		const prefix = header(v);
		const contentKey = derive(v, prefix, 'content');

		it('header, commitment and read token', () => {
			const commitment = derive(v, prefix, 'commitment');
			expect(Buffer.concat([prefix, commitment]).toString('hex')).toBe(v.expected.headerHex);
			const readToken = derive(v, prefix, 'read-token');
			expect(readToken.toString('base64url')).toBe(v.expected.readTokenB64);
			expect(createHash('sha256').update(readToken).digest('base64url')).toBe(v.expected.readTokenHashB64);
		});

		it('ciphertext', () => {
			const plaintext = expandPlaintext(v.plaintext);
			expect(plaintext.length).toBe(v.expected.plainSize);
			const ciphertext = encryptStream(contentKey, plaintext, v.recordSize);
			expect(ciphertext.length).toBe(v.expected.cipherSize);
			expect(Math.max(1, Math.ceil(plaintext.length / v.recordSize))).toBe(v.expected.records);
			expect(sha256Hex(ciphertext)).toBe(v.expected.ciphertextSha256Hex);
			if (v.expected.ciphertextHex !== undefined) expect(ciphertext.toString('hex')).toBe(v.expected.ciphertextHex);
		});

		it('sealed metadata', () => {
			expect(JSON.stringify(v.metadata)).toBe(v.metadataJson);
			const json = Buffer.from(v.metadataJson, 'utf8');
			const padded = Buffer.alloc(Math.ceil(json.length / 256) * 256, 0x20);
			json.copy(padded);
			const iv = Buffer.from(v.metadataNonce, 'hex');
			const sealed = Buffer.concat([iv, gcm(derive(v, prefix, 'metadata'), iv, padded)]);
			expect(sealed.toString('hex')).toBe(v.expected.sealedMetadataHex);
			expect(checkMetadata(padded, v.expected.plainSize)).toBe('OK');
		});
	});

	/** FORMAT.md §2's reader checks, written again from the spec: the error code, or OK. */
	function checkHeader(bytes: Buffer): string {
		if (bytes.length < 5 || bytes.subarray(0, 4).toString('latin1') !== 'SDRP') return 'BAD_HEADER';
		if (bytes[4] !== 1) return 'UNSUPPORTED_VERSION';
		if (bytes.length !== 83) return 'BAD_HEADER';
		const recordSize = bytes.readUInt32BE(6);
		if (recordSize < 1024 || recordSize > 16777216) return 'BAD_HEADER';
		const [m, t, p] = [bytes.readUInt32BE(42), bytes.readUInt32BE(46), bytes[50] ?? 0];
		if (bytes[5] === 0) return m === 0 && t === 0 && p === 0 ? 'OK' : 'BAD_HEADER';
		if (bytes[5] !== 1 || t === 0 || p === 0 || m < 8 * p) return 'BAD_HEADER';
		return m > 262144 || t > 8 || p > 8 || m * t > 1048576 ? 'KDF_TOO_COSTLY' : 'OK';
	}

	/** FORMAT.md §1: 43 characters of base64url whose last one leaves the 2 unused bits zero. */
	const checkSecret = (text: string): string => (/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/.test(text) ? 'OK' : 'BAD_SECRET');

	/** FORMAT.md §4: some n gives C = n + 16·max(1, ceil(n / R)). */
	function checkCipherSize(cipherSize: number, recordSize: number): string {
		const records = Math.ceil(cipherSize / (recordSize + RECORD_TAG));
		const last = cipherSize - (records - 1) * (recordSize + RECORD_TAG);
		if (cipherSize === RECORD_TAG) return 'OK';
		return cipherSize < RECORD_TAG || last <= RECORD_TAG ? 'BAD_SIZE' : 'OK';
	}

	/** FORMAT.md §5 written again, briefly: the error code for authentic padded bytes, or OK. */
	function checkMetadata(padded: Buffer, plainSize: number): string {
		if (padded.length === 0 || padded.length % 256 !== 0) return 'BAD_METADATA';
		let meta: { v?: unknown; files?: { name: string; size: number; offset: number }[]; note?: string; noteBytes?: number };
		try {
			meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(padded));
		} catch {
			return 'BAD_METADATA';
		}
		if (meta.v !== 1 || !Array.isArray(meta.files)) return 'BAD_METADATA';
		if (meta.note !== undefined && meta.noteBytes !== undefined) return 'BAD_METADATA';
		if (meta.files.length === 0 && meta.noteBytes === undefined && !meta.note) return 'BAD_METADATA';
		let offset = 0;
		for (const file of meta.files) {
			const segments = file.name.split('/');
			if (
				segments.some((s) => s === '' || s === '.' || s === '..') ||
				[...file.name].some((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f))
			) {
				return 'BAD_METADATA';
			}
			if (file.offset !== offset) return 'BAD_METADATA';
			offset += file.size;
		}
		return offset + (meta.noteBytes ?? 0) === plainSize ? 'OK' : 'BAD_METADATA';
	}

	describe.each(vectors.negative)('negative: $name', (n) => {
		it(`fails with ${n.expectedError}`, () => {
			if (n.check === 'decodeSecret') {
				expect(checkSecret(n.secret)).toBe(n.expectedError);
				return;
			}
			if (n.check === 'decodeHeader') {
				expect(checkHeader(Buffer.from(n.headerHex, 'hex'))).toBe(n.expectedError);
				return;
			}
			if (n.check === 'cipherSize') {
				expect(checkCipherSize(n.cipherSize, n.recordSize)).toBe(n.expectedError);
				return;
			}
			const base = vectors.cases.find((c) => c.name === n.base);
			if (!base) throw new Error(`no base case ${n.base}`);
			const prefix = header(base);
			if (n.check === 'openShareKeys') {
				const other = { ...base, secret: n.secret };
				expect(derive(other, prefix, 'commitment').toString('hex')).not.toBe(base.expected.headerHex.slice(102));
				expect(derive(base, prefix, 'commitment').toString('hex')).toBe(base.expected.headerHex.slice(102));
				expect(n.expectedError).toBe('WRONG_KEY');
				return;
			}
			if (n.check === 'openMetadata') {
				const sealed = Buffer.from(n.sealedMetadataHex, 'hex');
				const decipher = createDecipheriv('aes-256-gcm', derive(base, prefix, 'metadata'), sealed.subarray(0, 12));
				decipher.setAuthTag(sealed.subarray(sealed.length - RECORD_TAG));
				const padded = decipher.update(sealed.subarray(12, sealed.length - RECORD_TAG));
				try {
					decipher.final();
				} catch {
					expect(n.decryptedText).toBeUndefined();
					expect(n.expectedError).toBe('TAMPERED');
					return;
				}
				expect(padded.toString('utf8')).toBe(n.decryptedText);
				expect(checkMetadata(padded, n.plainSize)).toBe(n.expectedError);
				return;
			}
			const key = derive(base, prefix, 'content');
			const ciphertext = encryptStream(key, expandPlaintext(base.plaintext), base.recordSize);
			expect(decryptStream(key, ciphertext, base.expected.cipherSize, base.recordSize)).toBe('OK');
			const mutated = applyMutation(ciphertext, n.mutation);
			expect(decryptStream(key, mutated, base.expected.cipherSize, base.recordSize)).toBe(n.expectedError);
		});
	});

	it('FORMAT.md §5.2 works the metadata of "note-only" with these very bytes', () => {
		const v = vectors.cases.find((c) => c.name === 'note-only')!;
		const format = readFileSync(new URL('../../../docs/FORMAT.md', import.meta.url), 'utf8');
		const example = format.slice(format.indexOf('### 5.2'), format.indexOf('## 6.'));
		/** The hex continuing after `= ` on the line of `label` and the indented lines below it. */
		const hexAfter = (label: string): string => {
			const lines = example.slice(example.indexOf(`\n${label}`) + 1).split('\n');
			const out = [(lines[1] ?? '').replace(/^\s*=\s*/, '')];
			for (const line of lines.slice(2)) {
				if (!/^\s+[0-9a-f]+\s*$/.test(line)) break;
				out.push(line.trim());
			}
			return out.join('').split(/\s/)[0]!;
		};
		const key = derive(v, header(v), 'metadata').toString('hex');
		expect(example).toContain(`= ${key}`);
		expect(hexAfter('json ')).toBe(Buffer.from(v.metadataJson).toString('hex'));
		expect(hexAfter('sealed ')).toBe(v.expected.sealedMetadataHex);
		expect(example).toContain(v.metadataJson);
		expect(example).toContain(v.metadataNonce);
	});
});
