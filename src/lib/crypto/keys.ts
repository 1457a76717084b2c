/** Key schedule (FORMAT.md §3): HKDF-SHA256 over secret [‖ password key], bound to the header prefix. */
import { asBytes, concatBytes, constantTimeEqual, randomBytes, utf8Encoder, type Bytes } from './bytes';
import { DEFAULT_RECORD_SIZE, HEADER_PREFIX_BYTES, KEY_BYTES, PASSWORD_KEY_BYTES, SALT_BYTES, SECRET_BYTES } from './constants';
import { CryptoError } from './errors';
import { encodeHeader, type Argon2Params, type Header } from './header';

export interface ShareKeys {
	/** AES-256-GCM, non-extractable: records (§4). */
	contentKey: CryptoKey;
	/** AES-256-GCM, non-extractable: metadata (§5). */
	metadataKey: CryptoKey;
	/** Sent to the server, which stores only its SHA-256. */
	readToken: Uint8Array;
	commitment: Uint8Array;
}

type Label = 'content' | 'metadata' | 'read-token' | 'commitment';

/** info = utf8("sealdrop/v1/" ‖ label) ‖ 00 ‖ prefix; the 00 keeps label and prefix unambiguous. */
function info(label: Label, prefix: Uint8Array): Bytes {
	return concatBytes(utf8Encoder.encode(`sealdrop/v1/${label}`), new Uint8Array(1), prefix);
}

function inputKeyMaterial(secret: Uint8Array, kdf: Argon2Params | null, passwordKey?: Uint8Array): Bytes {
	if (secret.length !== SECRET_BYTES) throw new CryptoError('BAD_SECRET', `${secret.length} bytes, expected 32`);
	if (!kdf) {
		if (passwordKey) throw new TypeError('passwordKey given for a share without a password');
		return asBytes(secret);
	}
	if (!passwordKey) throw new TypeError('this share has a password: pass the Argon2id output as passwordKey');
	if (passwordKey.length !== PASSWORD_KEY_BYTES) throw new TypeError('passwordKey must be 32 bytes');
	return concatBytes(secret, passwordKey);
}

async function importAesKey(raw: Bytes): Promise<CryptoKey> {
	try {
		return await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
	} finally {
		raw.fill(0); // best effort: the raw key need not outlive the CryptoKey
	}
}

/** Derives all four outputs from the encoded header; bytes 51–82 (the commitment) are ignored. */
async function deriveFromHeader(headerBytes: Bytes, ikm: Bytes): Promise<ShareKeys> {
	const prefix = headerBytes.subarray(0, HEADER_PREFIX_BYTES);
	const salt = headerBytes.subarray(10, 10 + SALT_BYTES);
	const hkdfKey = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
	const derive = async (label: Label): Promise<Bytes> =>
		new Uint8Array(
			await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info: info(label, prefix) }, hkdfKey, KEY_BYTES * 8)
		);
	const [content, metadata, readToken, commitment] = await Promise.all([
		derive('content'),
		derive('metadata'),
		derive('read-token'),
		derive('commitment')
	]);
	const [contentKey, metadataKey] = await Promise.all([importAesKey(content), importAesKey(metadata)]);
	return { contentKey, metadataKey, readToken, commitment };
}

/**
 * Sender side: a fresh random salt (or the given one, for test vectors), keys derived, and the
 * commitment filled in. `passwordKey` is the 32-byte Argon2id output, required iff `kdf` is set.
 */
export async function createShareKeys(opts: {
	secret: Uint8Array;
	recordSize?: number;
	kdf?: Argon2Params | null;
	passwordKey?: Uint8Array;
	salt?: Uint8Array;
}): Promise<{ header: Header; headerBytes: Bytes; keys: ShareKeys }> {
	const kdf = opts.kdf ? { ...opts.kdf } : null;
	const ikm = inputKeyMaterial(opts.secret, kdf, opts.passwordKey);
	const header: Header = {
		version: 1,
		recordSize: opts.recordSize ?? DEFAULT_RECORD_SIZE,
		salt: opts.salt ? opts.salt.slice() : randomBytes(SALT_BYTES),
		kdf,
		commitment: new Uint8Array(KEY_BYTES) // placeholder: not part of the prefix
	};
	const headerBytes = encodeHeader(header); // validates before any key is derived
	const keys = await deriveFromHeader(headerBytes, ikm);
	header.commitment = keys.commitment.slice();
	headerBytes.set(keys.commitment, HEADER_PREFIX_BYTES);
	return { header, headerBytes, keys };
}

/**
 * Recipient side. Checks the commitment in constant time before anything is decrypted, so a wrong
 * link or password is WRONG_KEY up front, and no ciphertext can open under two different keys.
 */
export async function openShareKeys(header: Header, secret: Uint8Array, passwordKey?: Uint8Array): Promise<ShareKeys> {
	const ikm = inputKeyMaterial(secret, header.kdf, passwordKey);
	const keys = await deriveFromHeader(encodeHeader(header), ikm);
	if (!constantTimeEqual(keys.commitment, header.commitment)) throw new CryptoError('WRONG_KEY');
	return keys;
}
