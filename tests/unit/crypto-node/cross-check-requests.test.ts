/**
 * Recomputes tests/vectors/requests.json with node:crypto alone (ECDH, hkdfSync, aes-256-gcm),
 * without src/lib/crypto: FORMAT.md §11 as an independent implementer reads it.
 */
import { createCipheriv, createDecipheriv, createECDH, hkdfSync } from 'node:crypto';
import { argon2id } from 'hash-wasm';
import { describe, expect, it } from 'vitest';
import json from '../../vectors/requests.json';
import { loadRequestsVectors } from '../../vectors/vectors-requests';

const vectors = loadRequestsVectors(json);
const { request } = vectors;
const hex = (text: string) => Buffer.from(text, 'hex');
const rs = Buffer.from(request.rs, 'base64url');
const publicKey = hex(request.requester.publicKey);

/** HKDF-SHA256(ikm, salt, info = label ‖ 00 ‖ context, 32). */
const hkdf = (ikm: Buffer, salt: Buffer, label: string, context = Buffer.alloc(0)) =>
	Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.concat([Buffer.from(label, 'utf8'), Buffer.from([0]), context]), 32));

function gcm(key: Buffer, nonce: Buffer, plain: Buffer, aad?: Buffer): Buffer {
	const cipher = createCipheriv('aes-256-gcm', key, nonce);
	if (aad) cipher.setAAD(aad);
	return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

describe('file request vectors, recomputed with node:crypto', () => {
	it('key tag = HKDF(rs, "", "sealdrop/v2/request-key" ‖ 00 ‖ publicKey)', () => {
		expect(hkdf(rs, Buffer.alloc(0), 'sealdrop/v2/request-key', publicKey).toString('hex')).toBe(request.expected.keyTagHex);
	});

	it('sealed info = nonce ‖ AES-GCM(HKDF(rs, "", "sealdrop/v2/request-info" ‖ 00), JSON padded with spaces to 256)', () => {
		const json = Buffer.from(request.expected.infoJson, 'utf8');
		const padded = Buffer.alloc(Math.ceil(json.length / 256) * 256, 0x20);
		json.copy(padded);
		const key = hkdf(rs, Buffer.alloc(0), 'sealdrop/v2/request-info');
		const nonce = hex(request.infoNonce);
		expect(Buffer.concat([nonce, gcm(key, nonce, padded)]).toString('hex')).toBe(request.expected.sealedInfoHex);
	});

	describe.each(vectors.submissions)('$name', (s) => {
		it('z = ECDH x-coordinate, the same from either side; secret = HKDF(z, e_pub ‖ R_pub, "sealdrop/v2/submission" ‖ 00)', () => {
			const e = createECDH('prime256v1');
			e.setPrivateKey(hex(s.ephemeral.d));
			expect(e.getPublicKey().toString('hex')).toBe(s.ephemeral.publicKey);
			const r = createECDH('prime256v1');
			r.setPrivateKey(hex(request.requester.d));
			const z = e.computeSecret(publicKey);
			expect(r.computeSecret(hex(s.ephemeral.publicKey)).equals(z)).toBe(true);
			expect(z.toString('hex')).toBe(s.expected.sharedHex);
			const secret = hkdf(z, Buffer.concat([hex(s.ephemeral.publicKey), publicKey]), 'sealdrop/v2/submission');
			expect(secret.toString('base64url')).toBe(s.expected.secretB64);
			// From here it is a v2 share without a password (cross-check-v2.test.ts): the header commitment.
			const header = hex(s.expected.headerHex);
			const prefix = header.subarray(0, 51);
			const info = Buffer.concat([Buffer.from('sealdrop/v2/commitment', 'utf8'), Buffer.from([0]), prefix]);
			expect(Buffer.from(hkdfSync('sha256', secret, hex(s.salt), info, 32)).equals(header.subarray(51))).toBe(true);
		});
	});

	it('key file = AES-GCM(Argon2id(NFC passphrase, salt), nonce, PKCS#8, aad = "sealdrop-request-key/v1" ‖ 00 ‖ publicKey)', async () => {
		const k = vectors.keyFile;
		const key = Buffer.from(
			await argon2id({
				password: Buffer.from(k.passphrase.normalize('NFC'), 'utf8'),
				salt: hex(k.salt),
				iterations: k.kdf.passes,
				memorySize: k.kdf.memoryKiB,
				parallelism: k.kdf.parallelism,
				hashLength: 32,
				outputType: 'binary'
			})
		);
		const aad = Buffer.concat([Buffer.from('sealdrop-request-key/v1', 'utf8'), Buffer.from([0]), publicKey]);
		const sealed = gcm(key, hex(k.nonce), hex(request.requester.pkcs8), aad);
		expect(sealed.toString('base64url')).toBe(k.expected.ciphertext);
		const decipher = createDecipheriv('aes-256-gcm', key, hex(k.nonce));
		decipher.setAAD(aad);
		decipher.setAuthTag(sealed.subarray(-16));
		expect(Buffer.concat([decipher.update(sealed.subarray(0, -16)), decipher.final()]).toString('hex')).toBe(request.requester.pkcs8);
	});
});
