/**
 * Recomputes tests/vectors/v2.json with node:crypto alone (hkdfSync, aes-256-gcm), without
 * src/lib/crypto: the v2 key schedule of FORMAT.md §3 as an independent implementer reads it.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import json from '../../vectors/v2.json';
import { expandPlaintext } from '../../vectors/vectors';
import { loadV2Vectors, type V2Case } from '../../vectors/vectors-v2';

const vectors = loadV2Vectors(json);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

function prefix(v: V2Case): Buffer {
	const out = Buffer.alloc(51);
	out.write('SDRP', 0, 'latin1');
	out[4] = 2;
	out[5] = v.kdf ? 1 : 0;
	out.writeUInt32BE(v.recordSize, 6);
	Buffer.from(v.salt, 'hex').copy(out, 10);
	out.writeUInt32BE(v.kdf?.memoryKiB ?? 0, 42);
	out.writeUInt32BE(v.kdf?.passes ?? 0, 46);
	out[50] = v.kdf?.parallelism ?? 0;
	return out;
}

/** K(ikm, label) = HKDF-SHA256(ikm, salt = header salt, info = "sealdrop/v2/" label ‖ 00 ‖ prefix, 32). */
function K(v: V2Case, ikm: Buffer, label: string): Buffer {
	const info = Buffer.concat([Buffer.from(`sealdrop/v2/${label}`, 'utf8'), Buffer.from([0]), prefix(v)]);
	return Buffer.from(hkdfSync('sha256', ikm, Buffer.from(v.salt, 'hex'), info, 32));
}

function recordNonce(index: number, last: boolean): Buffer {
	const out = Buffer.alloc(12);
	out.writeBigUInt64BE(BigInt(index), 3);
	out[11] = last ? 1 : 0;
	return out;
}

describe.each(vectors.cases)('v2 vector $name, recomputed with node:crypto', (v) => {
	const secret = Buffer.from(v.secret, 'base64url');
	const pk = v.passwordKey ? Buffer.from(v.passwordKey, 'hex') : undefined;
	const W = v.keyShare ? Buffer.from(v.keyShare, 'hex') : undefined;
	const ikm = pk && W ? Buffer.concat([secret, pk, W]) : secret;

	it('header commitment from the secret alone; U, KC and the read token', () => {
		expect(Buffer.concat([prefix(v), K(v, secret, 'commitment')]).toString('hex')).toBe(v.expected.headerHex);
		if (pk) {
			const U = K(v, Buffer.concat([secret, pk]), 'unlock-token');
			expect(U.toString('base64url')).toBe(v.expected.unlockTokenB64);
			expect(sha256(U).toString('base64url')).toBe(v.expected.unlockTokenHashB64);
			expect(K(v, ikm, 'key-commitment').toString('base64url')).toBe(v.expected.keyCommitmentB64);
		}
		expect(K(v, ikm, 'read-token').toString('base64url')).toBe(v.expected.readTokenB64);
	});

	it('metadata and content keys open the sealed metadata and the ciphertext', () => {
		const sealed = Buffer.from(v.expected.sealedMetadataHex, 'hex');
		const decipher = createDecipheriv('aes-256-gcm', K(v, ikm, 'metadata'), sealed.subarray(0, 12));
		decipher.setAuthTag(sealed.subarray(sealed.length - 16));
		const padded = Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
		expect(padded.toString('utf8').trimEnd()).toBe(v.metadataJson);
		const plaintext = expandPlaintext(v.plaintext);
		const key = K(v, ikm, 'content');
		const records = Math.max(1, Math.ceil(plaintext.length / v.recordSize));
		const parts: Buffer[] = [];
		for (let i = 0; i < records; i++) {
			const cipher = createCipheriv('aes-256-gcm', key, recordNonce(i, i === records - 1));
			const chunk = plaintext.subarray(i * v.recordSize, (i + 1) * v.recordSize);
			parts.push(cipher.update(chunk), cipher.final(), cipher.getAuthTag());
		}
		expect(sha256(Buffer.concat(parts)).toString('hex')).toBe(v.expected.ciphertextSha256Hex);
	});
});
