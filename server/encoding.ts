import { randomBytes } from 'node:crypto';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Strict base64url without padding: returns undefined for anything but the one canonical text
 * of a byte string (Buffer alone would accept `=`, `+`, `/` and non-zero trailing bits).
 */
export function decodeBase64Url(text: string): Buffer | undefined {
	if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
	const bytes = Buffer.from(text, 'base64url');
	return bytes.toString('base64url') === text ? bytes : undefined;
}

export function encodeBase64Url(bytes: Uint8Array): string {
	return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function randomBase64Url(byteCount: number): string {
	return randomBytes(byteCount).toString('base64url');
}
