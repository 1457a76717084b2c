/**
 * Types and helpers for tests/vectors/v1.json, shared by the generator, the unit tests (Node and
 * Chromium) and the node:crypto cross-check. No Node-only APIs here.
 */
import type { Argon2Params, CryptoErrorCode, Metadata } from '../../src/lib/crypto';

/** Hex, or byte i = i mod 251 for `length` bytes (251 is prime, so records never repeat). */
export type PlaintextSpec = string | { pattern: 'counter'; length: number };

export interface VectorCase {
	name: string;
	description: string;
	/** base64url, 43 characters. */
	secret: string;
	/** Hex, 32 bytes. */
	salt: string;
	recordSize: number;
	kdf: Argon2Params | null;
	/** Hex, 32 bytes: stands for the Argon2id output, so no Argon2 is needed to check the vector. */
	passwordKey?: string;
	plaintext: PlaintextSpec;
	metadata: Metadata;
	/** Exactly the JSON text that is padded and sealed. */
	metadataJson: string;
	/** Hex, 12 bytes. */
	metadataNonce: string;
	expected: {
		headerHex: string;
		readTokenB64: string;
		/** base64url(SHA-256(read token bytes)): what the server stores (API.md). */
		readTokenHashB64: string;
		plainSize: number;
		cipherSize: number;
		records: number;
		/** Present when the ciphertext is at most 4096 bytes. */
		ciphertextHex?: string;
		ciphertextSha256Hex: string;
		sealedMetadataHex: string;
	};
}

/** How a 'decrypt' vector changes the base case's ciphertext. */
export type Mutation = { flip: { offset: number; mask: number } } | { truncate: number } | { append: string };

interface NegativeBase {
	name: string;
	description: string;
	/** The error a reader must report (FORMAT.md §6), nothing else. */
	expectedError: CryptoErrorCode;
}

export type NegativeVector = NegativeBase &
	(
		| { check: 'decodeSecret'; secret: string }
		| { check: 'decodeHeader'; headerHex: string }
		| { check: 'openShareKeys'; base: string; secret: string }
		| { check: 'cipherSize'; recordSize: number; cipherSize: number }
		| {
				check: 'decrypt';
				base: string;
				/** Applied to the base case's ciphertext; the layout stays the base case's. */
				mutation: Mutation;
		  }
		| {
				check: 'openMetadata';
				base: string;
				/** nonce ‖ AES-256-GCM under the base case's metadata key, opened for plainSize. */
				sealedMetadataHex: string;
				plainSize: number;
				/** What it decrypts to, padding included; absent when it does not authenticate. */
				decryptedText?: string;
		  }
	);

export interface VectorFile {
	format: 'sealdrop';
	version: 1;
	cases: VectorCase[];
	negative: NegativeVector[];
}

export function loadVectors(json: unknown): VectorFile {
	const file = json as VectorFile;
	if (file.format !== 'sealdrop' || file.version !== 1 || !Array.isArray(file.cases)) {
		throw new Error('not a Sealdrop v1 vector file');
	}
	return file;
}

export function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
	if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) throw new Error(`bad hex: ${hex.slice(0, 20)}`);
	const out = new Uint8Array(hex.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
	return out;
}

export function bytesToHex(bytes: Uint8Array): string {
	let out = '';
	for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
	return out;
}

export function counterBytes(length: number, start = 0): Uint8Array<ArrayBuffer> {
	const out = new Uint8Array(length);
	for (let i = 0; i < length; i++) out[i] = (start + i) % 251;
	return out;
}

export function expandPlaintext(spec: PlaintextSpec): Uint8Array<ArrayBuffer> {
	return typeof spec === 'string' ? hexToBytes(spec) : counterBytes(spec.length);
}

/** The ciphertext of a negative 'decrypt' vector. */
export function applyMutation(ciphertext: Uint8Array, mutation: Mutation): Uint8Array<ArrayBuffer> {
	if ('truncate' in mutation) return ciphertext.slice(0, mutation.truncate);
	if ('append' in mutation) {
		const extra = hexToBytes(mutation.append);
		const out = new Uint8Array(ciphertext.length + extra.length);
		out.set(ciphertext);
		out.set(extra, ciphertext.length);
		return out;
	}
	const out = ciphertext.slice();
	out[mutation.flip.offset] = (out[mutation.flip.offset] as number) ^ mutation.flip.mask;
	return out;
}
