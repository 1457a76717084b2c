/** File names: the rules of FORMAT.md §5 for metadata, and a sanitiser for saving to disk. */
import { utf8Encoder } from './bytes';

export const MAX_NAME_BYTES = 1024;
const MAX_SAVE_NAME_BYTES = 255;
/** Longest extension kept whole when a saved name must be shortened. */
const MAX_KEPT_EXTENSION_BYTES = 32;
const FALLBACK_NAME = 'file';

/** Unicode category Cc: C0 controls, DEL and C1 controls. */
function isControl(code: number): boolean {
	return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}

/** Invisible format characters that can disguise a name, e.g. U+202E turning "exe.pdf" around. */
function isDisguising(code: number): boolean {
	return (code >= 0x200b && code <= 0x200f) || (code >= 0x202a && code <= 0x202e) || (code >= 0x2060 && code <= 0x2069) || code === 0xfeff;
}

function utf8Length(text: string): number {
	return utf8Encoder.encode(text).length;
}

/** Null when `name` is a valid metadata path (FORMAT.md §5), else why not. */
export function metadataNameProblem(name: unknown): string | null {
	if (typeof name !== 'string') return 'name is not a string';
	if (!name.isWellFormed()) return 'name is not valid Unicode';
	const bytes = utf8Length(name);
	if (bytes < 1 || bytes > MAX_NAME_BYTES) return `name has ${bytes} UTF-8 bytes, allowed 1..${MAX_NAME_BYTES}`;
	if (name.startsWith('/')) return 'name is an absolute path';
	for (let i = 0; i < name.length; i++) {
		if (isControl(name.charCodeAt(i))) return 'name contains a control character';
	}
	for (const segment of name.split('/')) {
		if (segment === '' || segment === '.' || segment === '..') return `name has a "${segment}" path segment`;
	}
	return null;
}

const WINDOWS_ILLEGAL = new Set(['<', '>', ':', '"', '|', '?', '*']);
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

/** Drops trailing dots and spaces, which Windows silently removes (so "a.exe." would save as "a.exe"). */
function trimEnd(text: string): string {
	return text.replace(/[. ]+$/, '');
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
	let bytes = 0;
	let out = '';
	for (const char of text) {
		const size = utf8Length(char);
		if (bytes + size > maxBytes) break;
		bytes += size;
		out += char;
	}
	return out;
}

/**
 * A safe single file name for saving, whatever the sender wrote: the last path segment, without
 * control or disguising characters, with characters illegal on Windows or macOS replaced by "_",
 * no Windows device name, never empty, "." or "..", at most 255 UTF-8 bytes (extension kept).
 */
export function sanitizeFileName(name: string): string {
	const segments = name
		.toWellFormed()
		.split(/[/\\]/)
		.filter((segment) => segment !== '');
	let out = '';
	for (const char of segments.at(-1) ?? '') {
		const code = char.codePointAt(0) as number;
		if (isControl(code) || isDisguising(code)) continue;
		out += WINDOWS_ILLEGAL.has(char) ? '_' : char;
	}
	out = trimEnd(out.trim());
	if (out === '') return FALLBACK_NAME; // also catches "." and "..", whose dots were trimmed
	if (WINDOWS_DEVICE.test(out)) out = `_${out}`;
	if (utf8Length(out) <= MAX_SAVE_NAME_BYTES) return out;

	const dot = out.lastIndexOf('.');
	let extension = dot > 0 ? out.slice(dot) : '';
	if (utf8Length(extension) > MAX_KEPT_EXTENSION_BYTES) extension = '';
	const stemBytes = MAX_SAVE_NAME_BYTES - utf8Length(extension);
	const stem = trimEnd(truncateUtf8(out.slice(0, out.length - extension.length), stemBytes));
	return (stem || FALLBACK_NAME) + extension;
}
