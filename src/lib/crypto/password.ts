/**
 * The optional password (FORMAT.md §3): Argon2id over the NFC-normalised password, salted with the
 * share's salt and costed by the header's parameters, giving the 32-byte `passwordKey` that
 * createShareKeys / openShareKeys mix into the key schedule.
 *
 * Argon2id is memory-hard (64 MiB by default): call this off the main thread in a browser (see
 * src/lib/workers/argon2.ts). hash-wasm is loaded on first use, so bundles that never see a
 * password never fetch its WebAssembly.
 */
import { utf8Encoder, type Bytes } from './bytes';
import { PASSWORD_KEY_BYTES, SALT_BYTES } from './constants';
import { CryptoError } from './errors';
import type { Argon2Params, Header } from './header';

/** What derivePasswordKey needs from a header: its salt and Argon2id parameters. */
export type PasswordKdfInput = Pick<Header, 'salt' | 'kdf'>;

/** A way to run derivePasswordKey (in a worker in the browser, inline in Node). */
export type PasswordKdf = (password: string, header: PasswordKdfInput) => Promise<Bytes>;

/**
 * Canonical bytes of a password: Unicode NFC, then UTF-8. The same password typed on a Mac
 * (decomposed accents) and on Windows (composed) gives the same key. Nothing is trimmed.
 */
export function passwordBytes(password: string): Bytes {
	return utf8Encoder.encode(password.normalize('NFC'));
}

/** Argon2id(password = utf8(NFC(password)), salt = header salt, m, t, p, length = 32). */
export async function derivePasswordKey(password: string, header: PasswordKdfInput): Promise<Bytes> {
	const kdf: Argon2Params | null = header.kdf;
	if (!kdf) throw new TypeError('this share has no password');
	if (header.salt.length !== SALT_BYTES) throw new CryptoError('BAD_HEADER', 'salt must be 32 bytes');
	if (password.length === 0) throw new TypeError('the password is empty');
	const { argon2id } = await import('./argon2');
	const bytes = passwordBytes(password);
	try {
		const key = await argon2id({
			password: bytes,
			salt: header.salt,
			iterations: kdf.passes,
			parallelism: kdf.parallelism,
			memorySize: kdf.memoryKiB,
			hashLength: PASSWORD_KEY_BYTES,
			outputType: 'binary'
		});
		return new Uint8Array(key);
	} finally {
		bytes.fill(0); // best effort; the string itself cannot be wiped
	}
}
