import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeBase64Url, randomBase64Url } from '../encoding';

/** Owner tokens, read tokens and tickets are all 32 bytes (docs/API.md). */
export const TOKEN_BYTES = 32;
const ID_BYTES = 16;

export const newShareId = (): string => randomBase64Url(ID_BYTES);
export const newTicket = (): string => randomBase64Url(TOKEN_BYTES);

export function sha256(bytes: Uint8Array): Buffer {
	return createHash('sha256').update(bytes).digest();
}

/** SHA-256 of the token's bytes, or undefined if the text is not a 32-byte base64url token. */
export function hashToken(token: string): Buffer | undefined {
	const bytes = decodeBase64Url(token);
	return bytes?.length === TOKEN_BYTES ? sha256(bytes) : undefined;
}

/** Constant-time check of a bearer token against a stored SHA-256. */
export function tokenMatches(token: string, storedHash: Uint8Array | null): boolean {
	const hash = hashToken(token);
	if (!hash || !storedHash || storedHash.length !== hash.length) return false;
	return timingSafeEqual(hash, storedHash);
}
