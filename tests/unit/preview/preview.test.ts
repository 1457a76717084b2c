import { describe, expect, it } from 'vitest';
import { estimateBits, passwordStrength } from '../../../src/lib/password-strength';
import { IMAGE_LIMIT, noPreviewReason, PDF_LIMIT, previewKind } from '../../../src/lib/preview/preview';
import { linkOf, titleOf } from '../../../src/lib/uploads/my-uploads';

const file = (name: string, type = '', size = 1000) => ({ name, type, size, offset: 0 });

describe('previewKind', () => {
	it('previews images, text, audio, video and PDF, by type or by extension', () => {
		expect(previewKind(file('a.png', 'image/png'))).toEqual({ kind: 'image', mime: 'image/png' });
		expect(previewKind(file('photo', 'image/jpeg'))).toEqual({ kind: 'image', mime: 'image/jpeg' });
		expect(previewKind(file('notes.md'))).toEqual({ kind: 'text', mime: 'text/plain' });
		expect(previewKind(file('page.html', 'text/html'))).toEqual({ kind: 'text', mime: 'text/plain' }); // shown as text
		expect(previewKind(file('song.mp3'))).toEqual({ kind: 'audio', mime: 'audio/mpeg' });
		expect(previewKind(file('clip', 'video/webm'))).toEqual({ kind: 'video', mime: 'video/webm' });
		expect(previewKind(file('doc', 'application/pdf'))).toEqual({ kind: 'pdf', mime: 'application/pdf' });
		expect(previewKind(file('Scan.PDF'))).toEqual({ kind: 'pdf', mime: 'application/pdf' });
		expect(previewKind(file('big.pdf', 'application/pdf', PDF_LIMIT))).toEqual({ kind: 'pdf', mime: 'application/pdf' });
		expect(noPreviewReason(file('doc.pdf', 'application/pdf'))).toBeNull();
	});

	it('previews nothing else, and nothing too large to hold, and says why', () => {
		expect(previewKind(file('run.exe', 'application/octet-stream'))).toBeNull();
		expect(previewKind(file('huge.png', 'image/png', IMAGE_LIMIT + 1))).toBeNull();
		expect(previewKind(file('huge.pdf', 'application/pdf', PDF_LIMIT + 1))).toBeNull();
		expect(previewKind(file('icon.ico', 'image/x-icon'))).toBeNull();
		expect(noPreviewReason(file('run.exe', 'application/octet-stream'))).toBe('No preview for this type of file');
		expect(noPreviewReason(file('huge.pdf', 'application/pdf', PDF_LIMIT + 1))).toBe('Too large to preview (over 64 MiB): download it');
		// Streamed media has no size limit.
		expect(noPreviewReason(file('long.webm', 'video/webm', 2 ** 40))).toBeNull();
	});
});

describe('password strength hint', () => {
	it('rates length and variety, not just symbols', () => {
		expect(passwordStrength('').score).toBe(0);
		expect(passwordStrength('abc123').score).toBe(1);
		expect(passwordStrength('aaaaaaaaaaaaaaaa').score).toBe(1);
		expect(passwordStrength('Tr0ub4dor&3').score).toBeGreaterThanOrEqual(2);
		expect(passwordStrength('correct horse battery staple').score).toBe(4);
		expect(estimateBits('ab')).toBeLessThan(estimateBits('abc'));
	});
});

describe('my uploads', () => {
	it('builds the link and a title', () => {
		expect(linkOf({ id: 'x'.repeat(22), secret: 'k' }, 'https://h')).toBe(`https://h/s/${'x'.repeat(22)}#k`);
		expect(titleOf({ files: [{ name: 'a', size: 1 }], hasNote: false })).toBe('a');
		expect(
			titleOf({
				files: [
					{ name: 'a', size: 1 },
					{ name: 'b', size: 1 },
					{ name: 'c', size: 1 }
				],
				hasNote: false
			})
		).toBe('a and 2 more');
		expect(titleOf({ files: [], hasNote: true })).toBe('Message');
	});
});
