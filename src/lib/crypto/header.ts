/** The public share header (FORMAT.md §2): 83 bytes, stored by the server as opaque bytes. */
import {
	ARGON2_LIMITS,
	HEADER_BYTES,
	HEADER_PREFIX_BYTES,
	MAX_RECORD_SIZE,
	MIN_RECORD_SIZE,
	SALT_BYTES,
	SUPPORTED_VERSIONS
} from './constants';
import type { Bytes } from './bytes';
import { CryptoError } from './errors';

export interface Argon2Params {
	memoryKiB: number;
	passes: number;
	parallelism: number;
}

/** 1: the password is checked by the public commitment (§9); 2: by the server's unlock step (§3). */
export type FormatVersion = (typeof SUPPORTED_VERSIONS)[number];

export interface Header {
	version: FormatVersion;
	recordSize: number;
	salt: Uint8Array;
	/** Argon2id parameters when the share has a password, else null. */
	kdf: Argon2Params | null;
	commitment: Uint8Array;
}

const MAGIC = [0x53, 0x44, 0x52, 0x50]; // "SDRP"
const KDF_NONE = 0x00;
const KDF_ARGON2ID = 0x01;
const UINT32_MAX = 0xffffffff;

function isSupportedVersion(version: unknown): version is FormatVersion {
	return (SUPPORTED_VERSIONS as readonly unknown[]).includes(version);
}

export function isValidRecordSize(size: number): boolean {
	return Number.isInteger(size) && size >= MIN_RECORD_SIZE && size <= MAX_RECORD_SIZE;
}

/**
 * Throws unless the parameters are well formed (BAD_HEADER) and within ARGON2_LIMITS
 * (KDF_TOO_COSTLY); shared by the reader and the writer so both enforce §2.
 */
export function checkArgon2(p: Argon2Params): void {
	const { memoryKiB: m, passes: t, parallelism: par } = p;
	const malformed = (reason: string) => new CryptoError('BAD_HEADER', reason);
	if (!Number.isInteger(m) || m < 0 || m > UINT32_MAX) throw malformed('argon2 memory is not a uint32');
	if (!Number.isInteger(t) || t < 1 || t > UINT32_MAX) throw malformed('argon2 passes must be 1..2^32-1');
	if (!Number.isInteger(par) || par < 1 || par > 255) throw malformed('argon2 parallelism must be 1..255');
	if (m < 8 * par) throw malformed('argon2 memory must be at least 8·parallelism KiB');
	const limits = ARGON2_LIMITS;
	if (m > limits.maxMemoryKiB || t > limits.maxPasses || par > limits.maxParallelism || m * t > limits.maxWorkKiB) {
		throw new CryptoError('KDF_TOO_COSTLY', `m=${m} KiB, t=${t}, p=${par}`);
	}
}

/** Throws on fields a reader would reject, so a sender never writes an unreadable share. */
export function encodeHeader(h: Header): Bytes {
	if (!isSupportedVersion(h.version)) throw new CryptoError('BAD_HEADER', `cannot write version ${String(h.version)}`);
	if (!isValidRecordSize(h.recordSize)) throw new CryptoError('BAD_HEADER', `record size ${h.recordSize}`);
	if (h.salt.length !== SALT_BYTES) throw new CryptoError('BAD_HEADER', 'salt must be 32 bytes');
	if (h.commitment.length !== HEADER_BYTES - HEADER_PREFIX_BYTES) {
		throw new CryptoError('BAD_HEADER', 'commitment must be 32 bytes');
	}
	if (h.kdf) checkArgon2(h.kdf);
	const out = new Uint8Array(HEADER_BYTES);
	const view = new DataView(out.buffer);
	out.set(MAGIC, 0);
	out[4] = h.version;
	out[5] = h.kdf ? KDF_ARGON2ID : KDF_NONE;
	view.setUint32(6, h.recordSize);
	out.set(h.salt, 10);
	view.setUint32(42, h.kdf?.memoryKiB ?? 0);
	view.setUint32(46, h.kdf?.passes ?? 0);
	out[50] = h.kdf?.parallelism ?? 0;
	out.set(h.commitment, HEADER_PREFIX_BYTES);
	return out;
}

/**
 * Validates per FORMAT.md §2. Magic and version are checked before the length, so a header of a
 * future version (which may be longer) reports UNSUPPORTED_VERSION rather than BAD_HEADER.
 */
export function decodeHeader(bytes: Uint8Array): Header {
	if (bytes.length < 5 || MAGIC.some((b, i) => bytes[i] !== b)) {
		throw new CryptoError('BAD_HEADER', 'not a Sealdrop header');
	}
	const version = bytes[4];
	if (!isSupportedVersion(version)) throw new CryptoError('UNSUPPORTED_VERSION', `version ${String(version)}`);
	if (bytes.length !== HEADER_BYTES) throw new CryptoError('BAD_HEADER', `${bytes.length} bytes, expected 83`);

	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const recordSize = view.getUint32(6);
	if (!isValidRecordSize(recordSize)) throw new CryptoError('BAD_HEADER', `record size ${recordSize}`);

	const kdfByte = bytes[5];
	const params: Argon2Params = {
		memoryKiB: view.getUint32(42),
		passes: view.getUint32(46),
		parallelism: bytes[50] as number
	};
	let kdf: Argon2Params | null;
	if (kdfByte === KDF_NONE) {
		if (params.memoryKiB !== 0 || params.passes !== 0 || params.parallelism !== 0) {
			throw new CryptoError('BAD_HEADER', 'argon2 fields set without a password');
		}
		kdf = null;
	} else if (kdfByte === KDF_ARGON2ID) {
		checkArgon2(params);
		kdf = params;
	} else {
		throw new CryptoError('BAD_HEADER', `unknown kdf ${String(kdfByte)}`);
	}

	// Copies, so the Header does not alias (or pin) the caller's buffer.
	return {
		version,
		recordSize,
		salt: bytes.slice(10, 10 + SALT_BYTES),
		kdf,
		commitment: bytes.slice(HEADER_PREFIX_BYTES, HEADER_BYTES)
	};
}
