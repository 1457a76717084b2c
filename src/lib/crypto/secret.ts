/** The link secret (FORMAT.md §1) and SHA-256. */
import { fromBase64Url, toBase64Url } from './base64url';
import { asBytes, randomBytes, type Bytes } from './bytes';
import { SECRET_BYTES } from './constants';
import { CryptoError } from './errors';

/** Base64url length of a 32-byte secret. */
export const SECRET_TEXT_LENGTH = 43;

export function generateSecret(): Bytes {
	return randomBytes(SECRET_BYTES);
}

export function encodeSecret(secret: Uint8Array): string {
	if (secret.length !== SECRET_BYTES) throw new CryptoError('BAD_SECRET', `${secret.length} bytes, expected 32`);
	return toBase64Url(secret);
}

/** Only the exact 43-character canonical form is accepted: a damaged link must not half-work. */
export function decodeSecret(text: string): Bytes {
	if (text.length !== SECRET_TEXT_LENGTH) throw new CryptoError('BAD_SECRET', `${text.length} characters, expected 43`);
	try {
		return fromBase64Url(text);
	} catch (error) {
		throw new CryptoError('BAD_SECRET', (error as Error).message);
	}
}

export async function sha256(bytes: Uint8Array): Promise<Bytes> {
	return new Uint8Array(await crypto.subtle.digest('SHA-256', asBytes(bytes)));
}
