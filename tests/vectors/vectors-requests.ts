/**
 * Types for tests/vectors/requests.json (file requests, FORMAT.md §11), shared by its generator,
 * the unit tests (Node and Chromium) and the node:crypto cross-check. No Node-only APIs here.
 */
import type { Argon2Params, CryptoErrorCode, Metadata, RequestInfo, RequestKeyFile } from '../../src/lib/crypto';

/** A P-256 key pair: the scalar d (hex, 32 bytes), its PKCS#8 DER (hex) and the raw public point (hex, 65 bytes). */
export interface VectorKeyPair {
	d: string;
	pkcs8: string;
	publicKey: string;
}

export interface RequestsVectorFile {
	format: 'sealdrop-requests';
	version: 1;
	request: {
		/** rs, base64url (43 characters): the request link's fragment. */
		rs: string;
		requester: VectorKeyPair;
		info: RequestInfo;
		/** Hex, 12 bytes. */
		infoNonce: string;
		expected: {
			/** K(rs, "request-key", publicKey), hex. */
			keyTagHex: string;
			/** nonce ‖ AES-GCM(K(rs, "request-info"), nonce, padded JSON), hex. */
			sealedInfoHex: string;
			/** The JSON text that is padded and sealed. */
			infoJson: string;
		};
	};
	submissions: {
		name: string;
		ephemeral: VectorKeyPair;
		/** The share that carries it: v2 without a password, with this salt, record size, plaintext and metadata. */
		salt: string;
		recordSize: number;
		/** Hex. */
		plaintext: string;
		metadata: Metadata;
		metadataNonce: string;
		expected: {
			/** z: the ECDH x-coordinate, hex. */
			sharedHex: string;
			/** HKDF(z, salt = ephemeralKey ‖ publicKey, "sealdrop/v2/submission"), base64url: a share secret. */
			secretB64: string;
			headerHex: string;
			readTokenB64: string;
			ciphertextHex: string;
			sealedMetadataHex: string;
		};
	}[];
	keyFile: {
		passphrase: string;
		kdf: Argon2Params;
		salt: string;
		nonce: string;
		/** The file for the requester's PKCS#8 above. */
		expected: RequestKeyFile;
	};
	negative: {
		name: string;
		description: string;
		check: 'checkRequestKey' | 'openRequestInfo' | 'importRequestKey' | 'importRequestPublicKey';
		/** checkRequestKey: this public key (hex) against the request's tag; importRequestPublicKey: this key. */
		publicKey?: string;
		/** openRequestInfo: this sealed info (hex) with the request's rs. */
		sealedInfoHex?: string;
		/** importRequestKey: this file (JSON) with this passphrase. */
		keyFile?: unknown;
		passphrase?: string;
		expectedError: CryptoErrorCode;
	}[];
}

export function loadRequestsVectors(json: unknown): RequestsVectorFile {
	const file = json as RequestsVectorFile;
	if (file.format !== 'sealdrop-requests' || file.version !== 1) throw new Error('not a Sealdrop requests vector file');
	return file;
}
