/**
 * Key schedule (FORMAT.md §3): HKDF-SHA256 bound to the header prefix. v2 (written now): the
 * header commits to the link secret alone; with a password, the keys also need the server-held
 * key share W, which the server returns only for the right unlock token. v1 (still read, §9):
 * secret [‖ password key], the header committing to both.
 */
import { asBytes, concatBytes, constantTimeEqual, randomBytes, utf8Encoder, type Bytes } from './bytes';
import {
	DEFAULT_RECORD_SIZE,
	FORMAT_VERSION,
	HEADER_PREFIX_BYTES,
	KEY_BYTES,
	KEY_SHARE_BYTES,
	PASSWORD_KEY_BYTES,
	SALT_BYTES,
	SECRET_BYTES
} from './constants';
import { CryptoError } from './errors';
import { encodeHeader, type Argon2Params, type FormatVersion, type Header } from './header';

export interface ShareKeys {
	/** AES-256-GCM, non-extractable: records (§4). */
	contentKey: CryptoKey;
	/** AES-256-GCM, non-extractable: metadata (§5). */
	metadataKey: CryptoKey;
	/** Sent to the server, which stores only its SHA-256. */
	readToken: Uint8Array;
	/** The header's commitment (bytes 51–82). */
	commitment: Uint8Array;
}

/** What the server holds for a v2 password share and returns on a right unlock (FORMAT.md §3). */
export interface KeyShare {
	/** W: 32 random bytes, useless without the link secret and the password. */
	keyShare: Uint8Array;
	/** KC = K(secret ‖ pk ‖ W, "key-commitment"): lets the reader check W before decrypting. */
	keyCommitment: Uint8Array;
}

/** What a v2 password share's sender hands the server at create: W, KC and U (whose SHA-256 it stores). */
export interface PasswordShareSecrets extends KeyShare {
	/** U = K(secret ‖ pk, "unlock-token"): the bearer token of the unlock request. */
	unlockToken: Uint8Array;
}

type Label = 'content' | 'metadata' | 'read-token' | 'commitment' | 'unlock-token' | 'key-commitment';

/** info = utf8("sealdrop/v<version>/" ‖ label) ‖ 00 ‖ prefix; the 00 keeps label and prefix unambiguous. */
function info(version: FormatVersion, label: Label, prefix: Uint8Array): Bytes {
	return concatBytes(utf8Encoder.encode(`sealdrop/v${version}/${label}`), new Uint8Array(1), prefix);
}

function checkSecret(secret: Uint8Array): void {
	if (secret.length !== SECRET_BYTES) throw new CryptoError('BAD_SECRET', `${secret.length} bytes, expected 32`);
}

function checkPasswordKey(kdf: Argon2Params | null, passwordKey: Uint8Array | undefined): Uint8Array | undefined {
	if (!kdf) {
		if (passwordKey) throw new TypeError('passwordKey given for a share without a password');
		return undefined;
	}
	if (!passwordKey) throw new TypeError('this share has a password: pass the Argon2id output as passwordKey');
	if (passwordKey.length !== PASSWORD_KEY_BYTES) throw new TypeError('passwordKey must be 32 bytes');
	return passwordKey;
}

function checkKeyShare(share: KeyShare): void {
	if (share.keyShare.length !== KEY_SHARE_BYTES || share.keyCommitment.length !== KEY_BYTES) {
		throw new CryptoError('WRONG_KEY', 'the key share and its commitment must be 32 bytes each');
	}
}

async function importAesKey(raw: Bytes): Promise<CryptoKey> {
	try {
		return await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
	} finally {
		raw.fill(0); // best effort: the raw key need not outlive the CryptoKey
	}
}

/** K(ikm, label) for each label: HKDF-SHA256, salt = header salt, info bound to the header prefix. */
async function derive(headerBytes: Bytes, ikm: Uint8Array, labels: Label[]): Promise<Bytes[]> {
	const version = headerBytes[4] as FormatVersion;
	const prefix = headerBytes.subarray(0, HEADER_PREFIX_BYTES);
	const salt = headerBytes.subarray(10, 10 + SALT_BYTES);
	const hkdfKey = await crypto.subtle.importKey('raw', asBytes(ikm), 'HKDF', false, ['deriveBits']);
	return Promise.all(
		labels.map(
			async (label) =>
				new Uint8Array(
					await crypto.subtle.deriveBits(
						{ name: 'HKDF', hash: 'SHA-256', salt, info: info(version, label, prefix) },
						hkdfKey,
						KEY_BYTES * 8
					)
				)
		)
	);
}

/** Content key, metadata key and read token from `ikm`; `commitment` is the header's. */
async function deriveKeys(headerBytes: Bytes, ikm: Uint8Array, commitment: Uint8Array): Promise<ShareKeys> {
	const [content, metadata, readToken] = (await derive(headerBytes, ikm, ['content', 'metadata', 'read-token'])) as [Bytes, Bytes, Bytes];
	const [contentKey, metadataKey] = await Promise.all([importAesKey(content), importAesKey(metadata)]);
	return { contentKey, metadataKey, readToken, commitment: commitment.slice() };
}

/** The header's commitment: K(secret, …) in v2, K(secret ‖ pk, …) in v1. */
async function headerCommitment(headerBytes: Bytes, secret: Uint8Array, passwordKey: Uint8Array | undefined): Promise<Bytes> {
	const ikm = headerBytes[4] === 1 && passwordKey ? concatBytes(secret, passwordKey) : secret;
	const [commitment] = (await derive(headerBytes, ikm, ['commitment'])) as [Bytes];
	return commitment;
}

/**
 * Sender side: a fresh random salt (or the given one, for test vectors), keys derived, and the
 * commitment filled in. `passwordKey` is the 32-byte Argon2id output, required iff `kdf` is set.
 * Writes version 2 unless told otherwise; a v2 password share also gets its key share W (random,
 * or the given one for test vectors) and `password`, what the create request sends the server.
 */
export async function createShareKeys(opts: {
	secret: Uint8Array;
	recordSize?: number;
	kdf?: Argon2Params | null;
	passwordKey?: Uint8Array;
	salt?: Uint8Array;
	/** 1 only to reproduce v1 shares (tests, vectors). */
	version?: FormatVersion;
	keyShare?: Uint8Array;
}): Promise<{ header: Header; headerBytes: Bytes; keys: ShareKeys; password: PasswordShareSecrets | null }> {
	checkSecret(opts.secret);
	const kdf = opts.kdf ? { ...opts.kdf } : null;
	const passwordKey = checkPasswordKey(kdf, opts.passwordKey);
	const version = opts.version ?? FORMAT_VERSION;
	const header: Header = {
		version,
		recordSize: opts.recordSize ?? DEFAULT_RECORD_SIZE,
		salt: opts.salt ? opts.salt.slice() : randomBytes(SALT_BYTES),
		kdf,
		commitment: new Uint8Array(KEY_BYTES) // placeholder: not part of the prefix
	};
	const headerBytes = encodeHeader(header); // validates before any key is derived
	const commitment = await headerCommitment(headerBytes, opts.secret, passwordKey);
	header.commitment = commitment.slice();
	headerBytes.set(commitment, HEADER_PREFIX_BYTES);

	if (version === 1 || !passwordKey) {
		const ikm = passwordKey ? concatBytes(opts.secret, passwordKey) : opts.secret;
		return { header, headerBytes, keys: await deriveKeys(headerBytes, ikm, commitment), password: null };
	}
	const keyShare = opts.keyShare ? opts.keyShare.slice() : randomBytes(KEY_SHARE_BYTES);
	if (keyShare.length !== KEY_SHARE_BYTES) throw new TypeError('keyShare must be 32 bytes');
	const [unlockToken] = (await derive(headerBytes, concatBytes(opts.secret, passwordKey), ['unlock-token'])) as [Bytes];
	const ikm = concatBytes(opts.secret, passwordKey, keyShare);
	const [keyCommitment] = (await derive(headerBytes, ikm, ['key-commitment'])) as [Bytes];
	const keys = await deriveKeys(headerBytes, ikm, commitment);
	return { header, headerBytes, keys, password: { keyShare, keyCommitment, unlockToken } };
}

/**
 * Checks the link secret against the header before any password is asked for. Throws WRONG_KEY
 * for a wrong or damaged link. Returns false when the link cannot be checked on its own: a v1
 * password share, whose commitment also covers the password.
 */
export async function checkLink(header: Header, secret: Uint8Array): Promise<boolean> {
	checkSecret(secret);
	if (header.version === 1 && header.kdf) return false;
	const commitment = await headerCommitment(encodeHeader(header), secret, undefined);
	if (!constantTimeEqual(commitment, header.commitment)) throw new CryptoError('WRONG_KEY');
	return true;
}

/** U = K(secret ‖ pk, "unlock-token") of a v2 password share: what the unlock request carries. */
export async function deriveUnlockToken(header: Header, secret: Uint8Array, passwordKey: Uint8Array): Promise<Bytes> {
	checkSecret(secret);
	if (header.version !== 2 || !header.kdf) throw new TypeError('only a v2 share with a password has an unlock token');
	const pk = checkPasswordKey(header.kdf, passwordKey) as Uint8Array;
	const [unlockToken] = (await derive(encodeHeader(header), concatBytes(secret, pk), ['unlock-token'])) as [Bytes];
	return unlockToken;
}

/**
 * Recipient side. Checks the commitment in constant time before anything is decrypted, so a wrong
 * link (or, in v1, a wrong password) is WRONG_KEY up front, and no ciphertext can open under two
 * different keys. A v2 password share needs `unlocked`, the server's answer to the unlock token:
 * its key commitment is checked too, so a server that swaps W or KC is WRONG_KEY.
 */
export async function openShareKeys(header: Header, secret: Uint8Array, passwordKey?: Uint8Array, unlocked?: KeyShare): Promise<ShareKeys> {
	checkSecret(secret);
	const pk = checkPasswordKey(header.kdf, passwordKey);
	const headerBytes = encodeHeader(header);
	const commitment = await headerCommitment(headerBytes, secret, pk);
	if (!constantTimeEqual(commitment, header.commitment)) throw new CryptoError('WRONG_KEY');
	if (header.version === 1 || !pk) return deriveKeys(headerBytes, pk ? concatBytes(secret, pk) : secret, commitment);

	if (!unlocked) throw new TypeError('a v2 share with a password needs the key share the unlock request returns');
	checkKeyShare(unlocked);
	const ikm = concatBytes(secret, pk, unlocked.keyShare);
	const [keyCommitment] = (await derive(headerBytes, ikm, ['key-commitment'])) as [Bytes];
	if (!constantTimeEqual(keyCommitment, unlocked.keyCommitment)) throw new CryptoError('WRONG_KEY', 'the key commitment does not match');
	return deriveKeys(headerBytes, ikm, commitment);
}
