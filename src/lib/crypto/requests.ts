/**
 * File requests (FORMAT.md §11): a requester's ECDH P-256 key pair, the request link's secret rs,
 * the key tag and sealed info it protects, the per-submission secret that feeds the ordinary v2
 * key schedule (§3, no password), and the passphrase-protected private key file.
 *
 * P-256 and not X25519: ECDH P-256 has long been standard WebCrypto in every browser and Node;
 * X25519 came only recently (not in Firefox ESR 128, Safari < 17; Node-specific in Node 20).
 */
import { fromBase64Url, toBase64Url } from './base64url';
import { asBytes, concatBytes, constantTimeEqual, randomBytes, utf8Encoder, type Bytes } from './bytes';
import { DEFAULT_ARGON2, NONCE_BYTES, SALT_BYTES, SECRET_BYTES, TAG_BYTES } from './constants';
import { CryptoError } from './errors';
import { checkArgon2, type Argon2Params } from './header';
import { METADATA_PAD } from './metadata';
import { derivePasswordKey, type PasswordKdf } from './password';

/** Raw uncompressed P-256 point: 04 ‖ x ‖ y. */
export const REQUEST_PUBLIC_KEY_BYTES = 65;
/** The key tag K(rs, "request-key", publicKey). */
export const REQUEST_KEY_TAG_BYTES = 32;
/** Title and message limits, in UTF-16 code units (JavaScript string length). */
export const MAX_REQUEST_TITLE_LENGTH = 200;
export const MAX_REQUEST_MESSAGE_LENGTH = 4000;
/** The key file's `format` field. */
export const KEY_FILE_FORMAT = 'sealdrop-request-key';

const ECDH = { name: 'ECDH', namedCurve: 'P-256' } as const;
const SPACE = 0x20;

/** A requester's key pair: the private key (a CryptoKey, kept in IndexedDB) and the raw public key. */
export interface RequestKeyPair {
	privateKey: CryptoKey;
	publicKey: Bytes;
}

/** What the requester writes into the request and the submitter reads back (FORMAT.md §11.3). */
export interface RequestInfo {
	title: string;
	message?: string;
}

/** The passphrase-protected private key (FORMAT.md §11.5), as JSON. */
export interface RequestKeyFile {
	format: typeof KEY_FILE_FORMAT;
	v: 1;
	kdf: { name: 'argon2id' } & Argon2Params;
	/** base64url: 32 bytes, 12 bytes, 65 bytes, PKCS#8 ‖ tag. */
	salt: string;
	nonce: string;
	publicKey: string;
	ciphertext: string;
	/**
	 * Optional: nonce ‖ AES-GCM under the same key of what a client needs to find its request again
	 * (opaque here; the web app's JSON, FORMAT.md §11.5). Readers that do not use it ignore it.
	 */
	request?: string;
}

/** HKDF-SHA256(ikm, salt, info = utf8(label) ‖ 00 ‖ context, 32 bytes): the 00 keeps label and context apart. */
async function requestHkdf(ikm: Uint8Array, salt: Uint8Array, label: string, context: Uint8Array): Promise<Bytes> {
	const key = await crypto.subtle.importKey('raw', asBytes(ikm), 'HKDF', false, ['deriveBits']);
	const info = concatBytes(utf8Encoder.encode(label), new Uint8Array(1), context);
	return new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: asBytes(salt), info }, key, 256));
}

function checkRequestSecret(rs: Uint8Array): void {
	if (rs.length !== SECRET_BYTES) throw new CryptoError('BAD_SECRET', `${rs.length} bytes, expected 32`);
}

/** Imports a raw public key; BAD_PUBLIC_KEY unless it is a 65-byte point on P-256. */
export async function importRequestPublicKey(raw: Uint8Array): Promise<CryptoKey> {
	if (raw.length !== REQUEST_PUBLIC_KEY_BYTES || raw[0] !== 0x04) {
		throw new CryptoError('BAD_PUBLIC_KEY', `${raw.length} bytes, expected 65 starting 04`);
	}
	try {
		return await crypto.subtle.importKey('raw', asBytes(raw), ECDH, true, []);
	} catch {
		throw new CryptoError('BAD_PUBLIC_KEY', 'not a point on P-256');
	}
}

/**
 * A fresh key pair for a new request. The private key is extractable only so that it can be
 * written to a key file (exportRequestKey); it is never sent anywhere.
 */
export async function generateRequestKeyPair(): Promise<RequestKeyPair> {
	const pair = await crypto.subtle.generateKey(ECDH, true, ['deriveBits']);
	return { privateKey: pair.privateKey, publicKey: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)) };
}

/** The key tag K(rs, "request-key", publicKey): the server stores it, the submitter checks it. */
export async function requestKeyTag(rs: Uint8Array, publicKey: Uint8Array): Promise<Bytes> {
	checkRequestSecret(rs);
	if (publicKey.length !== REQUEST_PUBLIC_KEY_BYTES) throw new CryptoError('BAD_PUBLIC_KEY', `${publicKey.length} bytes, expected 65`);
	return requestHkdf(rs, new Uint8Array(0), 'sealdrop/v2/request-key', publicKey);
}

/**
 * The submitter's check before anything is encrypted: the key the server serves is the one the
 * requester tagged with the link's secret. REQUEST_KEY_MISMATCH otherwise (a swapped key).
 */
export async function checkRequestKey(rs: Uint8Array, publicKey: Uint8Array, keyTag: Uint8Array): Promise<void> {
	const expected = await requestKeyTag(rs, publicKey);
	if (!constantTimeEqual(expected, keyTag)) throw new CryptoError('REQUEST_KEY_MISMATCH');
}

async function requestInfoKey(rs: Uint8Array): Promise<CryptoKey> {
	checkRequestSecret(rs);
	const raw = await requestHkdf(rs, new Uint8Array(0), 'sealdrop/v2/request-info', new Uint8Array(0));
	try {
		return await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
	} finally {
		raw.fill(0);
	}
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A clean copy with only the known keys; BAD_REQUEST_INFO if it is not valid §11.3 info. */
export function validateRequestInfo(raw: unknown): RequestInfo {
	const bad = (detail: string) => new CryptoError('BAD_REQUEST_INFO', detail);
	if (!isRecord(raw)) throw bad('not a JSON object');
	if (raw.v !== 1) throw bad(`v is ${JSON.stringify(raw.v)}, expected 1`);
	const { title, message } = raw;
	if (typeof title !== 'string' || title.trim() === '') throw bad('title is not a non-empty string');
	if (title.length > MAX_REQUEST_TITLE_LENGTH) throw bad(`title is longer than ${MAX_REQUEST_TITLE_LENGTH}`);
	if (message === undefined) return { title };
	if (typeof message !== 'string') throw bad('message is not a string');
	if (message.length > MAX_REQUEST_MESSAGE_LENGTH) throw bad(`message is longer than ${MAX_REQUEST_MESSAGE_LENGTH}`);
	return message === '' ? { title } : { title, message };
}

/** nonce ‖ AES-GCM(K(rs, "request-info"), nonce, JSON padded with spaces to a multiple of 256). */
export async function sealRequestInfo(rs: Uint8Array, info: RequestInfo, nonce?: Uint8Array): Promise<Bytes> {
	const clean = validateRequestInfo({ v: 1, ...info });
	const iv = nonce ? asBytes(nonce) : randomBytes(NONCE_BYTES);
	if (iv.length !== NONCE_BYTES) throw new TypeError('the nonce must be 12 bytes');
	const json = utf8Encoder.encode(JSON.stringify({ v: 1, ...clean }));
	const padded = new Uint8Array(Math.ceil(json.length / METADATA_PAD) * METADATA_PAD).fill(SPACE);
	padded.set(json);
	const key = await requestInfoKey(rs);
	return concatBytes(iv, new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, padded)));
}

/** TAMPERED if it does not authenticate under rs; BAD_REQUEST_INFO if it is authentic but invalid. */
export async function openRequestInfo(rs: Uint8Array, sealed: Uint8Array): Promise<RequestInfo> {
	if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new CryptoError('TAMPERED', 'request info is too short');
	const key = await requestInfoKey(rs);
	const bytes = asBytes(sealed);
	let padded: Bytes;
	try {
		padded = new Uint8Array(
			await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, NONCE_BYTES) }, key, bytes.subarray(NONCE_BYTES))
		);
	} catch {
		throw new CryptoError('TAMPERED', 'request info failed authentication');
	}
	if (padded.length === 0 || padded.length % METADATA_PAD !== 0) throw new CryptoError('BAD_REQUEST_INFO', 'not padded to 256 bytes');
	let parsed: unknown;
	try {
		parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(padded));
	} catch {
		throw new CryptoError('BAD_REQUEST_INFO', 'not UTF-8 JSON');
	}
	return validateRequestInfo(parsed);
}

/** secret = HKDF-SHA256(z, salt = ephemeralKey ‖ requestKey, info = "sealdrop/v2/submission", 32). */
async function submissionSecret(privateKey: CryptoKey, peer: CryptoKey, ephemeralKey: Uint8Array, requestKey: Uint8Array): Promise<Bytes> {
	const z = new Uint8Array(await crypto.subtle.deriveBits({ name: 'ECDH', public: peer }, privateKey, 256));
	try {
		return await requestHkdf(z, concatBytes(ephemeralKey, requestKey), 'sealdrop/v2/submission', new Uint8Array(0));
	} finally {
		z.fill(0);
	}
}

/**
 * Submitter side: a fresh ephemeral key pair e (or the given one, for test vectors), and the
 * 32-byte secret it shares with the requester's key. The secret is then used exactly as a share's
 * link secret with the v2 key schedule and no password (createShareKeys); `ephemeralKey` goes to
 * the server with the submission. Call checkRequestKey first.
 */
export async function createSubmissionSecret(
	requestKey: Uint8Array,
	ephemeral?: RequestKeyPair
): Promise<{ secret: Bytes; ephemeralKey: Bytes }> {
	const peer = await importRequestPublicKey(requestKey);
	const e = ephemeral ?? (await generateRequestKeyPair());
	const secret = await submissionSecret(e.privateKey, peer, e.publicKey, requestKey);
	return { secret, ephemeralKey: e.publicKey.slice() };
}

/** Requester side: the submission's share secret from the private key and the submission's ephemeral key. */
export async function openSubmissionSecret(keys: RequestKeyPair, ephemeralKey: Uint8Array): Promise<Bytes> {
	const peer = await importRequestPublicKey(ephemeralKey);
	return submissionSecret(keys.privateKey, peer, ephemeralKey, keys.publicKey);
}

/** A private key from its PKCS#8 bytes, checked against `publicKey` (BAD_PUBLIC_KEY if they differ). */
export async function importRequestPrivateKey(pkcs8: Uint8Array, publicKey: Uint8Array): Promise<RequestKeyPair> {
	await importRequestPublicKey(publicKey); // validates the point
	let privateKey: CryptoKey;
	try {
		privateKey = await crypto.subtle.importKey('pkcs8', asBytes(pkcs8), ECDH, true, ['deriveBits']);
	} catch {
		throw new CryptoError('BAD_KEY_FILE', 'the private key is not a P-256 PKCS#8 key');
	}
	// The JWK of a private key carries its public point: it must be the one named.
	const jwk = await crypto.subtle.exportKey('jwk', privateKey);
	const point = concatBytes(Uint8Array.of(4), fromBase64Url(jwk.x ?? ''), fromBase64Url(jwk.y ?? ''));
	if (!constantTimeEqual(point, publicKey)) throw new CryptoError('BAD_PUBLIC_KEY', 'the private key is not the public key’s');
	return { privateKey, publicKey: asBytes(publicKey).slice() };
}

/** AAD of the key file's AES-GCM: the format name and the public key, so neither can be swapped. */
function keyFileAad(publicKey: Uint8Array, part = ''): Bytes {
	return concatBytes(utf8Encoder.encode(`${KEY_FILE_FORMAT}/v1${part}`), new Uint8Array(1), publicKey);
}
/** The optional `request` field's AAD differs from the key's, so the two ciphertexts cannot be swapped. */
const REQUEST_PART = '/request';

async function keyFileKey(passphrase: string, salt: Uint8Array, kdf: Argon2Params, passwordKdf: PasswordKdf): Promise<CryptoKey> {
	const raw = await passwordKdf(passphrase, { salt, kdf });
	try {
		return await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
	} finally {
		raw.fill(0);
	}
}

/**
 * Seals PKCS#8 bytes under Argon2id(passphrase) into a key file. `salt`, `nonce` and `kdf` are
 * for test vectors; `passwordKdf` runs Argon2id (in a worker in the browser, inline by default).
 */
export async function encryptKeyFile(
	pkcs8: Uint8Array,
	publicKey: Uint8Array,
	passphrase: string,
	options: {
		kdf?: Argon2Params;
		salt?: Uint8Array;
		nonce?: Uint8Array;
		passwordKdf?: PasswordKdf;
		/** Sealed into the optional `request` field under the same key and a nonce of its own. */
		request?: Uint8Array;
	} = {}
): Promise<RequestKeyFile> {
	const kdf = { ...(options.kdf ?? DEFAULT_ARGON2) };
	checkArgon2(kdf);
	const salt = options.salt ? asBytes(options.salt) : randomBytes(SALT_BYTES);
	const nonce = options.nonce ? asBytes(options.nonce) : randomBytes(NONCE_BYTES);
	if (salt.length !== SALT_BYTES || nonce.length !== NONCE_BYTES) throw new TypeError('salt must be 32 bytes and nonce 12');
	if (passphrase.length === 0) throw new TypeError('the passphrase is empty');
	const key = await keyFileKey(passphrase, salt, kdf, options.passwordKdf ?? derivePasswordKey);
	const ciphertext = new Uint8Array(
		await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: keyFileAad(publicKey) }, key, asBytes(pkcs8))
	);
	let request: string | undefined;
	if (options.request) {
		const iv = randomBytes(NONCE_BYTES);
		const additionalData = keyFileAad(publicKey, REQUEST_PART);
		request = toBase64Url(
			concatBytes(iv, new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData }, key, asBytes(options.request))))
		);
	}
	return {
		format: KEY_FILE_FORMAT,
		v: 1,
		kdf: { name: 'argon2id', memoryKiB: kdf.memoryKiB, passes: kdf.passes, parallelism: kdf.parallelism },
		salt: toBase64Url(salt),
		nonce: toBase64Url(nonce),
		publicKey: toBase64Url(publicKey),
		ciphertext: toBase64Url(ciphertext),
		...(request === undefined ? {} : { request })
	};
}

/** Writes the private key of `keys` to a key file (JSON.stringify it to save it). */
export async function exportRequestKey(
	keys: RequestKeyPair,
	passphrase: string,
	options: { kdf?: Argon2Params; passwordKdf?: PasswordKdf; request?: Uint8Array } = {}
): Promise<RequestKeyFile> {
	const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
	try {
		return await encryptKeyFile(pkcs8, keys.publicKey, passphrase, options);
	} finally {
		pkcs8.fill(0);
	}
}

function field(raw: Record<string, unknown>, name: string, bytes?: number): Bytes {
	const text = raw[name];
	let value: Bytes;
	try {
		if (typeof text !== 'string') throw new Error('missing');
		value = fromBase64Url(text);
	} catch {
		throw new CryptoError('BAD_KEY_FILE', `${name} is not base64url`);
	}
	if (bytes !== undefined && value.length !== bytes) throw new CryptoError('BAD_KEY_FILE', `${name} is not ${bytes} bytes`);
	return value;
}

/** Parses and checks a key file (text or parsed JSON): BAD_KEY_FILE, or KDF_TOO_COSTLY for hostile parameters. */
export function parseKeyFile(input: string | unknown): RequestKeyFile {
	let raw: unknown = input;
	if (typeof input === 'string') {
		try {
			raw = JSON.parse(input);
		} catch {
			throw new CryptoError('BAD_KEY_FILE', 'not JSON');
		}
	}
	if (!isRecord(raw) || raw.format !== KEY_FILE_FORMAT) throw new CryptoError('BAD_KEY_FILE', 'format is not sealdrop-request-key');
	if (raw.v !== 1) throw new CryptoError('BAD_KEY_FILE', `v is ${JSON.stringify(raw.v)}, expected 1`);
	const kdf = raw.kdf;
	if (!isRecord(kdf) || kdf.name !== 'argon2id') throw new CryptoError('BAD_KEY_FILE', 'kdf is not argon2id');
	const params = { memoryKiB: kdf.memoryKiB, passes: kdf.passes, parallelism: kdf.parallelism } as Argon2Params;
	try {
		checkArgon2(params);
	} catch (error) {
		if (error instanceof CryptoError && error.code === 'KDF_TOO_COSTLY') throw error;
		throw new CryptoError('BAD_KEY_FILE', (error as Error).message);
	}
	field(raw, 'salt', SALT_BYTES);
	field(raw, 'nonce', NONCE_BYTES);
	field(raw, 'publicKey', REQUEST_PUBLIC_KEY_BYTES);
	if (field(raw, 'ciphertext').length <= TAG_BYTES) throw new CryptoError('BAD_KEY_FILE', 'ciphertext is too short');
	if (raw.request !== undefined && field(raw, 'request').length < NONCE_BYTES + TAG_BYTES) {
		throw new CryptoError('BAD_KEY_FILE', 'request is too short');
	}
	return {
		format: KEY_FILE_FORMAT,
		v: 1,
		kdf: { name: 'argon2id', ...params },
		salt: raw.salt as string,
		nonce: raw.nonce as string,
		publicKey: raw.publicKey as string,
		ciphertext: raw.ciphertext as string,
		...(raw.request === undefined ? {} : { request: raw.request as string })
	};
}

/** The PKCS#8 bytes in a key file; WRONG_PASSPHRASE if the passphrase (or the file) is wrong. */
export async function decryptKeyFile(
	input: string | unknown,
	passphrase: string,
	options: { passwordKdf?: PasswordKdf } = {}
): Promise<{ pkcs8: Bytes; publicKey: Bytes; request?: Bytes }> {
	const file = parseKeyFile(input);
	const kdf = { memoryKiB: file.kdf.memoryKiB, passes: file.kdf.passes, parallelism: file.kdf.parallelism };
	const publicKey = fromBase64Url(file.publicKey);
	const key = await keyFileKey(passphrase, fromBase64Url(file.salt), kdf, options.passwordKdf ?? derivePasswordKey);
	try {
		const pkcs8 = await crypto.subtle.decrypt(
			{ name: 'AES-GCM', iv: fromBase64Url(file.nonce), additionalData: keyFileAad(publicKey) },
			key,
			fromBase64Url(file.ciphertext)
		);
		if (file.request === undefined) return { pkcs8: new Uint8Array(pkcs8), publicKey };
		const sealed = fromBase64Url(file.request);
		const request = await crypto.subtle.decrypt(
			{ name: 'AES-GCM', iv: sealed.subarray(0, NONCE_BYTES), additionalData: keyFileAad(publicKey, REQUEST_PART) },
			key,
			sealed.subarray(NONCE_BYTES)
		);
		return { pkcs8: new Uint8Array(pkcs8), publicKey, request: new Uint8Array(request) };
	} catch {
		throw new CryptoError('WRONG_PASSPHRASE');
	}
}

/** A key file opened with its passphrase: the key pair that opens the request's submissions (and the `request` field, if any). */
export async function importRequestKey(
	input: string | unknown,
	passphrase: string,
	options: { passwordKdf?: PasswordKdf } = {}
): Promise<RequestKeyPair & { request?: Bytes }> {
	const { pkcs8, publicKey, request } = await decryptKeyFile(input, passphrase, options);
	try {
		const keys = await importRequestPrivateKey(pkcs8, publicKey);
		return request === undefined ? keys : { ...keys, request };
	} finally {
		pkcs8.fill(0);
	}
}
