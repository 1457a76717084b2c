import { describe, expect, it } from 'vitest';
import { sanitizeFileName, saveNames, zipPaths } from '../../../src/lib/crypto';

const utf8Length = (text: string): number => new TextEncoder().encode(text).length;

/** Path separators, characters Windows or macOS refuse, controls and the right-to-left override. */
function isUnsafe(char: string): boolean {
	const code = char.codePointAt(0) as number;
	return '/\\<>:"|?*\u202e'.includes(char) || code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}

describe('sanitizeFileName', () => {
	it.each([
		['report.pdf', 'report.pdf'],
		['photos/cat.jpg', 'cat.jpg'],
		['a/b/c/d.txt', 'd.txt'],
		['..\\..\\windows\\system32\\evil.dll', 'evil.dll'],
		['../../etc/passwd', 'passwd'],
		['/abs/path', 'path'],
		['dir/', 'dir'],
		['', 'file'],
		['.', 'file'],
		['..', 'file'],
		['...', 'file'],
		['/', 'file'],
		['a/..', 'file'],
		['   ', 'file'],
		['\u0000\u0001', 'file'],
		['a\u0000b\nc\u007fd\u0085e.txt', 'abcde.txt'],
		['what?<>:"|*.txt', 'what_______.txt'],
		['name.', 'name'],
		['name. . ', 'name'],
		['  padded  ', 'padded'],
		['.bashrc', '.bashrc'],
		['CON', '_CON'],
		['con.txt', '_con.txt'],
		['lpt1', '_lpt1'],
		['COM9.tar.gz', '_COM9.tar.gz'],
		['console.txt', 'console.txt'],
		['invoice\u202Efdp.exe', 'invoicefdp.exe'],
		['zero\u200Bwidth', 'zerowidth'],
		['bom\uFEFF', 'bom'],
		['lone\ud800surrogate', 'lone\ufffdsurrogate'],
		['日本語のファイル.txt', '日本語のファイル.txt'],
		['emoji 😀.png', 'emoji 😀.png']
	])('%j → %j', (input, output) => {
		expect(sanitizeFileName(input)).toBe(output);
	});

	it('cuts names to 255 UTF-8 bytes, keeping the extension and whole characters', () => {
		const long = `${'ä'.repeat(200)}.jpeg`; // 405 bytes
		const safe = sanitizeFileName(long);
		expect(utf8Length(safe)).toBeLessThanOrEqual(255);
		expect(safe.endsWith('.jpeg')).toBe(true);
		expect(safe).toBe(`${'ä'.repeat(125)}.jpeg`);
		const emoji = sanitizeFileName('😀'.repeat(100)); // 4-byte characters, no extension
		expect(emoji).toBe('😀'.repeat(63));
	});

	it('drops an absurdly long extension rather than the whole stem', () => {
		const safe = sanitizeFileName(`a.${'x'.repeat(300)}`);
		expect(utf8Length(safe)).toBe(255);
		expect(safe.startsWith('a.xxx')).toBe(true);
	});

	it('never returns an unsafe name for arbitrary input', () => {
		const alphabet = ['a', '.', '/', '\\', ' ', ':', '\u0000', '\n', 'ä', '😀', '\u202e', '?', 'C', 'O', 'N'];
		let seed = 7;
		for (let i = 0; i < 2000; i++) {
			let name = '';
			const length = (i * 13) % 40;
			for (let j = 0; j < length; j++) {
				seed = (seed * 1103515245 + 12345) % 2147483648;
				name += alphabet[seed % alphabet.length];
			}
			const safe = sanitizeFileName(name);
			expect(safe.length).toBeGreaterThan(0);
			expect([...safe].filter(isUnsafe)).toEqual([]);
			expect(safe).not.toMatch(/[. ]$/);
			expect(['.', '..']).not.toContain(safe);
			expect(utf8Length(safe)).toBeLessThanOrEqual(255);
			expect(sanitizeFileName(safe)).toBe(safe);
		}
	});
});

describe('saveNames (one file at a time: the last segment, unique)', () => {
	it.each([
		[['docs/sub/x.txt'], ['x.txt']],
		[
			['a/x.txt', 'b/x.txt', 'X.TXT'],
			['x.txt', 'x (2).txt', 'X (3).TXT']
		],
		[
			['x.txt', 'x.txt', 'x (2).txt'],
			['x.txt', 'x (2).txt', 'x (2) (2).txt']
		],
		[
			['../x', '/etc/passwd', 'a//b', 'CON', 'a\\b\\c.txt'],
			['x', 'passwd', 'b', '_CON', 'c.txt']
		],
		[
			['nul\u0000.txt', 'nul.txt'],
			['_nul.txt', '_nul (2).txt']
		],
		// The same name in NFC and NFD is one name on macOS.
		[
			['caf\u00e9.txt', 'cafe\u0301.txt'],
			['caf\u00e9.txt', 'cafe\u0301 (2).txt']
		]
	])('%j → %j', (input, output) => {
		expect(saveNames(input)).toEqual(output);
	});

	it('keeps a suffixed name within 255 UTF-8 bytes, extension kept', () => {
		const long = `${'n'.repeat(300)}.txt`;
		const [first, second] = saveNames([long, long]);
		expect(utf8Length(first!)).toBe(255);
		expect(utf8Length(second!)).toBe(255);
		expect(second!.endsWith(' (2).txt')).toBe(true);
		expect(second).not.toBe(first);
	});
});

describe('zipPaths (the ZIP keeps the tree, sanitised)', () => {
	it.each([
		[
			['docs/sub/x.txt', 'docs/y.txt', 'z.txt'],
			['docs/sub/x.txt', 'docs/y.txt', 'z.txt']
		],
		[['../x'], ['x']],
		[['../../etc/passwd'], ['etc/passwd']],
		[['/etc/passwd'], ['etc/passwd']],
		[
			['a//b', 'c/./d/../e'],
			['a/b', 'c/d/e']
		],
		[
			['CON', 'aux/prn.txt'],
			['_CON', '_aux/_prn.txt']
		],
		[['a\\b\\c.txt'], ['a/b/c.txt']],
		[['C:\\Windows\\evil.dll'], ['C_/Windows/evil.dll']],
		[['dir\u0000/na\u0000me.txt'], ['dir/name.txt']],
		[['wh?t/<x>:"|*.txt'], ['wh_t/_x_____.txt']],
		[['trailing. /dots.. /f'], ['trailing/dots/f']],
		[
			['..', '.', ''],
			['file', 'file (2)', 'file (3)']
		],
		[
			['d/x.txt', 'D/X.TXT', 'd/x.txt'],
			['d/x.txt', 'D/X (2).TXT', 'd/x (3).txt']
		],
		// A file may not take the name of a folder another file needs, whichever comes first.
		[
			['docs', 'docs/a.txt'],
			['docs (2)', 'docs/a.txt']
		],
		[
			['docs/a.txt', 'DOCS'],
			['docs/a.txt', 'DOCS (2)']
		]
	])('%j → %j', (input, output) => {
		expect(zipPaths(input)).toEqual(output);
	});

	it('cuts each long segment to 255 bytes and never yields an unsafe path', () => {
		const path = zipPaths([`${'a'.repeat(400)}/${'b'.repeat(400)}.txt`])[0]!;
		const [dir, file] = path.split('/');
		expect(utf8Length(dir!)).toBe(255);
		expect(utf8Length(file!)).toBe(255);
		expect(file!.endsWith('.txt')).toBe(true);

		const alphabet = ['a', '.', '/', '\\', ' ', ':', '\u0000', 'ä', '?', 'C', 'O', 'N'];
		let seed = 11;
		const names: string[] = [];
		for (let i = 0; i < 500; i++) {
			let name = '';
			for (let j = 0; j < (i * 7) % 30; j++) {
				seed = (seed * 1103515245 + 12345) % 2147483648;
				name += alphabet[seed % alphabet.length];
			}
			names.push(name);
		}
		const paths = zipPaths(names);
		expect(new Set(paths.map((p) => p.toLowerCase())).size).toBe(paths.length);
		for (const p of paths) {
			expect(p.startsWith('/')).toBe(false);
			for (const segment of p.split('/')) {
				expect(segment).not.toBe('');
				expect(segment).not.toMatch(/^\.+$|[. ]$/);
				expect([...segment].filter(isUnsafe)).toEqual([]);
				expect(sanitizeFileName(segment)).toBe(segment);
			}
		}
	});
});
