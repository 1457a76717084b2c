/** RFC 4648 §5 base64url without padding. Strict: one text per byte string (see fromBase64Url). */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export function toBase64Url(bytes: Uint8Array): string {
	const digit = (n: number): string => ALPHABET.charAt(n & 63);
	let out = '';
	let i = 0;
	for (; i + 2 < bytes.length; i += 3) {
		const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
		out += digit(n >>> 18) + digit(n >>> 12) + digit(n >>> 6) + digit(n);
	}
	const rest = bytes.length - i;
	if (rest === 1) {
		const n = (bytes[i] as number) << 16;
		out += digit(n >>> 18) + digit(n >>> 12);
	} else if (rest === 2) {
		const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
		out += digit(n >>> 18) + digit(n >>> 12) + digit(n >>> 6);
	}
	return out;
}

/**
 * Throws a plain Error on anything but canonical unpadded base64url: no `=`, no whitespace, no
 * `+`/`/`, no impossible length, and the unused low bits of the last character must be zero,
 * so two different texts never decode to the same bytes.
 */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
	if (text.length % 4 === 1) throw new Error('base64url: impossible length');
	const out = new Uint8Array(Math.floor((text.length * 3) / 4));
	let bits = 0;
	let value = 0;
	let at = 0;
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		const digit = code < 128 ? (DECODE[code] as number) : -1;
		if (digit < 0) throw new Error(`base64url: invalid character at ${i}`);
		value = ((value << 6) | digit) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[at++] = (value >>> bits) & 0xff;
		}
	}
	if ((value & ((1 << bits) - 1)) !== 0) throw new Error('base64url: non-canonical last character');
	return out;
}
