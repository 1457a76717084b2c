import { describe, expect, it } from 'vitest';
import { sanitizeFileName } from '../../../src/lib/crypto';

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
