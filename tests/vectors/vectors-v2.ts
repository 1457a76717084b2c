/**
 * Types for tests/vectors/v2.json (format v2, FORMAT.md §3), shared by its generator, the unit
 * tests (Node and Chromium) and the node:crypto cross-check. No Node-only APIs here.
 */
import type { Argon2Params, CryptoErrorCode, Metadata } from '../../src/lib/crypto';
import type { PlaintextSpec } from './vectors';

export interface V2Case {
	name: string;
	description: string;
	/** base64url, 43 characters. */
	secret: string;
	/** Hex, 32 bytes. */
	salt: string;
	recordSize: number;
	kdf: Argon2Params | null;
	/** The password itself, when the case runs the real Argon2id (`passwordKey` is then its output). */
	password?: string;
	/** Hex, 32 bytes: pk, the Argon2id output; present iff `kdf` is set. */
	passwordKey?: string;
	/** Hex, 32 bytes: W, the server-held key share (random in real use); present iff `kdf` is set. */
	keyShare?: string;
	plaintext: PlaintextSpec;
	metadata: Metadata;
	metadataJson: string;
	/** Hex, 12 bytes. */
	metadataNonce: string;
	expected: {
		headerHex: string;
		/** U = K(secret ‖ pk, "unlock-token"), and SHA-256(U) as the server stores it; iff `kdf`. */
		unlockTokenB64?: string;
		unlockTokenHashB64?: string;
		/** KC = K(secret ‖ pk ‖ W, "key-commitment"); iff `kdf`. */
		keyCommitmentB64?: string;
		readTokenB64: string;
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

export type V2Negative =
	| { name: string; description: string; check: 'decodeHeader'; headerHex: string; expectedError: CryptoErrorCode }
	/** Check the header of case `base` with this secret alone (before any password). */
	| { name: string; description: string; check: 'checkLink'; base: string; secret: string; expectedError: CryptoErrorCode }
	/** Open case `base` with its secret and password key, and this key share / key commitment (hex) in place of the right ones. */
	| {
			name: string;
			description: string;
			check: 'openShareKeys';
			base: string;
			keyShare?: string;
			keyCommitment?: string;
			expectedError: CryptoErrorCode;
	  };

export interface V2VectorFile {
	format: 'sealdrop';
	version: 2;
	cases: V2Case[];
	negative: V2Negative[];
}

export function loadV2Vectors(json: unknown): V2VectorFile {
	const file = json as V2VectorFile;
	if (file.format !== 'sealdrop' || file.version !== 2 || !Array.isArray(file.cases)) throw new Error('not a Sealdrop v2 vector file');
	return file;
}
