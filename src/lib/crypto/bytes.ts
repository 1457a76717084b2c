/**
 * Byte helpers. WebCrypto wants `BufferSource`, which TypeScript 6 types as views over a plain
 * `ArrayBuffer` (not `SharedArrayBuffer`); `Bytes` names that and `asBytes` gets there without
 * copying in the common case.
 */
export type Bytes = Uint8Array<ArrayBuffer>;

/** The same view when it is backed by an ArrayBuffer; a copy otherwise (SharedArrayBuffer). */
export function asBytes(bytes: Uint8Array): Bytes {
	// A view from another realm fails instanceof and is copied: slower, never wrong.
	if (bytes.buffer instanceof ArrayBuffer) return bytes as Bytes;
	return new Uint8Array(bytes);
}

export function concatBytes(...parts: Uint8Array[]): Bytes {
	let length = 0;
	for (const part of parts) length += part.length;
	const out = new Uint8Array(length);
	let at = 0;
	for (const part of parts) {
		out.set(part, at);
		at += part.length;
	}
	return out;
}

/** Compares in time that depends only on the lengths, so a commitment check leaks no prefix. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
	if (a.length !== b.length) return false;
	let diff = 0;
	for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
	return diff === 0;
}

export function randomBytes(length: number): Bytes {
	return crypto.getRandomValues(new Uint8Array(length));
}

export const utf8Encoder = new TextEncoder();
