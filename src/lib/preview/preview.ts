import type { FileEntry } from '../crypto/metadata';
import { formatNumber } from '../format';
import { m } from '../paraglide/messages.js';

/**
 * Previews of a share's files in the page, before or instead of saving them. Every preview reads
 * through the page's DownloadSession, so the first one claims the session's single download
 * (as saving would); later previews and saves reuse it.
 *
 * - images: decrypted into memory (up to IMAGE_LIMIT) and shown by <img> from a blob: URL
 *   (an image element runs no script, SVG included);
 * - text: the first TEXT_LIMIT bytes, decoded as UTF-8 and shown as text, never as HTML;
 * - audio and video: streamed through the service worker into a script-free, sandboxed frame,
 *   range by range, so seeking fetches and decrypts only the records it needs;
 * - PDF: decrypted into memory (up to PDF_LIMIT) and drawn page by page by pdf.js
 *   (src/lib/preview/), loaded only when a PDF is previewed.
 *
 * This module says what can be previewed (the share's file list shows it); the reading is in
 * read.ts, loaded with the first preview.
 */
export type PreviewKind = 'image' | 'text' | 'audio' | 'video' | 'pdf';

export const IMAGE_LIMIT = 32 * 1024 * 1024;
export const TEXT_LIMIT = 256 * 1024;
/**
 * pdf.js needs the whole file in one buffer (it seeks anywhere in it), held in the page and then
 * in its worker: 64 MiB keeps that within what a phone tab survives, and covers nearly every
 * document people send; larger PDFs are offered for download instead.
 */
export const PDF_LIMIT = 64 * 1024 * 1024;

/** What the browser can show safely, from the sender's MIME type (untrusted) and the name. */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp', 'image/svg+xml']);
const EXTENSIONS: Record<string, [PreviewKind, string]> = {
	png: ['image', 'image/png'],
	jpg: ['image', 'image/jpeg'],
	jpeg: ['image', 'image/jpeg'],
	gif: ['image', 'image/gif'],
	webp: ['image', 'image/webp'],
	avif: ['image', 'image/avif'],
	svg: ['image', 'image/svg+xml'],
	txt: ['text', 'text/plain'],
	md: ['text', 'text/plain'],
	csv: ['text', 'text/plain'],
	log: ['text', 'text/plain'],
	json: ['text', 'text/plain'],
	pdf: ['pdf', 'application/pdf'],
	mp3: ['audio', 'audio/mpeg'],
	wav: ['audio', 'audio/wav'],
	ogg: ['audio', 'audio/ogg'],
	oga: ['audio', 'audio/ogg'],
	flac: ['audio', 'audio/flac'],
	m4a: ['audio', 'audio/mp4'],
	opus: ['audio', 'audio/ogg'],
	mp4: ['video', 'video/mp4'],
	m4v: ['video', 'video/mp4'],
	webm: ['video', 'video/webm'],
	ogv: ['video', 'video/ogg'],
	mov: ['video', 'video/mp4']
};

/** Kinds held whole in memory for their preview, with their size limit. */
const MEMORY_LIMITS: Partial<Record<PreviewKind, number>> = { image: IMAGE_LIMIT, pdf: PDF_LIMIT };

/** The kind of preview the file's type calls for, whatever its size; null if none. */
function kindOf(file: FileEntry): { kind: PreviewKind; mime: string } | null {
	const type = file.type.toLowerCase().split(';')[0]!.trim();
	if (IMAGE_TYPES.has(type)) return { kind: 'image', mime: type };
	if (/^audio\/[a-z0-9.+-]+$/.test(type)) return { kind: 'audio', mime: type };
	if (/^video\/[a-z0-9.+-]+$/.test(type)) return { kind: 'video', mime: type };
	if (type.startsWith('text/') || type === 'application/json') return { kind: 'text', mime: 'text/plain' };
	if (type === 'application/pdf') return { kind: 'pdf', mime: type };
	const extension = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase() ?? '';
	const known = EXTENSIONS[extension];
	return known ? { kind: known[0], mime: known[1] } : null;
}

/** How a file would be previewed, with the MIME type to give the browser; null if not at all. */
export function previewKind(file: FileEntry): { kind: PreviewKind; mime: string } | null {
	const how = kindOf(file);
	return how && file.size <= (MEMORY_LIMITS[how.kind] ?? Infinity) ? how : null;
}

/** Why `file` has no preview, in a few words for its row; null if it has one. */
export function noPreviewReason(file: FileEntry): string | null {
	const how = kindOf(file);
	if (!how) return m.no_preview_type();
	const limit = MEMORY_LIMITS[how.kind];
	if (limit !== undefined && file.size > limit) return m.no_preview_large({ size: `${formatNumber(limit / 1024 / 1024)} MiB` });
	return null;
}
