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
/** Printable ASCII with nothing to replace, not starting with a space nor ending with a dot or space: kept as it is. */
const PLAIN_SEGMENT = /^(?! )[ !#-)+-.0-9;=@-[\]-{}~]*[!#-)+,\-0-9;=@-[\]-{}~]$/;
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
 * One path segment made safe, or "" if nothing is left: no control or disguising characters,
 * characters illegal on Windows or macOS replaced by "_", no trailing dots or spaces (so "." and
 * ".." vanish), no Windows device name, at most 255 UTF-8 bytes (extension kept).
 */
function cleanSegment(segment: string): string {
	let out = '';
	if (PLAIN_SEGMENT.test(segment)) {
		out = segment; // the common case, much faster for shares of many files
	} else {
		for (const char of segment) {
			const code = char.codePointAt(0) as number;
			if (isControl(code) || isDisguising(code)) continue;
			out += WINDOWS_ILLEGAL.has(char) ? '_' : char;
		}
		out = trimEnd(out.trim());
	}
	if (out === '') return '';
	if (WINDOWS_DEVICE.test(out)) out = `_${out}`;
	return fitSegment(out, '');
}

/** `name` with `suffix` before its extension, cut to 255 UTF-8 bytes (extension and suffix kept). */
function fitSegment(name: string, suffix: string): string {
	const dot = name.lastIndexOf('.');
	let extension = dot > 0 ? name.slice(dot) : '';
	// A UTF-16 code unit is at most 3 UTF-8 bytes: short names need no counting.
	const fits = (name.length + suffix.length) * 3 <= MAX_SAVE_NAME_BYTES || utf8Length(name) + utf8Length(suffix) <= MAX_SAVE_NAME_BYTES;
	if (fits) return name.slice(0, name.length - extension.length) + suffix + extension;
	if (utf8Length(extension) > MAX_KEPT_EXTENSION_BYTES) extension = '';
	const stemBytes = MAX_SAVE_NAME_BYTES - utf8Length(extension) - utf8Length(suffix);
	const stem = trimEnd(truncateUtf8(name.slice(0, name.length - extension.length), stemBytes));
	return (stem || FALLBACK_NAME) + suffix + extension;
}

/** Splits on "/" and "\\" (a separator on Windows, so never left inside a saved name). */
function rawSegments(name: string): string[] {
	return name
		.toWellFormed()
		.split(/[/\\]/)
		.filter((segment) => segment !== '');
}

/**
 * A safe single file name for saving, whatever the sender wrote: the last path segment, without
 * control or disguising characters, with characters illegal on Windows or macOS replaced by "_",
 * no Windows device name, never empty, "." or "..", at most 255 UTF-8 bytes (extension kept).
 */
export function sanitizeFileName(name: string): string {
	return cleanSegment(rawSegments(name).at(-1) ?? '') || FALLBACK_NAME; // "." and ".." end up empty
}

/**
 * A safe relative path for a ZIP entry (FORMAT.md §8): every segment cleaned as in
 * sanitizeFileName, segments that end up empty (as "", "." and "..") left out, so never absolute
 * and never climbing out of the folder it is extracted into.
 */
export function sanitizePath(name: string): string {
	return (
		rawSegments(name)
			.map(cleanSegment)
			.filter((segment) => segment !== '')
			.join('/') || FALLBACK_NAME
	);
}

/** How two saved names are compared: file systems on Windows and macOS ignore case and normalisation. */
const sameKey = (name: string): string => (/[^ -~]/.test(name) ? name.normalize('NFC') : name).toLowerCase();

/**
 * Makes `paths` unique in list order: the first keeps its path, a later one gets " (2)", " (3)"…
 * before its extension. A file may not take the path of a folder that another path needs.
 */
function unique(paths: string[]): string[] {
	const folders = new Set<string>();
	for (const path of paths) {
		const segments = path.split('/');
		for (let i = 1; i < segments.length; i++) folders.add(sameKey(segments.slice(0, i).join('/')));
	}
	const seen = new Set<string>();
	return paths.map((path) => {
		const slash = path.lastIndexOf('/');
		const [folder, last] = [path.slice(0, slash + 1), path.slice(slash + 1)];
		let candidate = path;
		for (let i = 2; seen.has(sameKey(candidate)) || folders.has(sameKey(candidate)); i++) candidate = folder + fitSegment(last, ` (${i})`);
		seen.add(sameKey(candidate));
		return candidate;
	});
}

/** The names a share's files are saved under one by one (FORMAT.md §8), in metadata order. */
export function saveNames(names: string[]): string[] {
	return unique(names.map(sanitizeFileName));
}

/** The entry paths of a share's files in a ZIP (FORMAT.md §8), in metadata order. */
export function zipPaths(names: string[]): string[] {
	return unique(names.map(sanitizePath));
}
