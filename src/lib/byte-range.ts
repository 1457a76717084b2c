// The one `Range` parser, shared by the server (blob downloads, server/routes/downloads.ts) and
// the service worker (media previews, src/lib/service-worker/sw-preview.ts). Pure and import-free, so
// it adds a few hundred bytes to the service worker and nothing of the server to it.

/**
 * What a `Range` header asks of a resource of `size` bytes (RFC 9110 §14). `end` is exclusive.
 * - full: no header, another unit, or invalid syntax (a header that does not parse is ignored);
 * - partial: one satisfiable range, clipped to the resource;
 * - multiple: several valid ranges (each side decides: the server refuses them, the worker
 *   serves the whole resource);
 * - unsatisfiable: one range that starts at or past the end, or an empty suffix.
 */
export type ByteRange =
	{ kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'multiple' } | { kind: 'unsatisfiable' };

const SPEC = /^(?:(\d+)-(\d*)|-(\d+))$/;

export function parseByteRange(header: string | null | undefined, size: number): ByteRange {
	if (header === null || header === undefined) return { kind: 'full' };
	const unit = /^\s*bytes\s*=(.*)$/i.exec(header);
	if (!unit) return { kind: 'full' };
	const specs = (unit[1] ?? '')
		.split(',')
		.map((spec) => spec.trim())
		.filter((spec) => spec !== '');
	const matches = specs.map((spec) => SPEC.exec(spec));
	if (matches.length === 0 || matches.some((match) => match === null)) return { kind: 'full' };
	const ranges = matches as RegExpExecArray[];
	// A range whose last byte is before its first is invalid syntax: ignore the header.
	if (ranges.some((m) => m[1] !== undefined && m[2] !== '' && Number(m[2]) < Number(m[1]))) return { kind: 'full' };
	if (ranges.length > 1) return { kind: 'multiple' };
	const first = ranges[0]!;

	if (first[3] !== undefined) {
		const suffix = Number(first[3]);
		if (suffix === 0) return { kind: 'unsatisfiable' };
		// An empty resource has no last bytes to send: give it whole (empty), not a 206 with no range.
		if (size === 0) return { kind: 'full' };
		return { kind: 'partial', start: Math.max(0, size - suffix), end: size };
	}
	const start = Number(first[1]);
	if (start >= size) return { kind: 'unsatisfiable' };
	const end = first[2] === '' ? size : Math.min(Number(first[2]) + 1, size);
	return { kind: 'partial', start, end };
}
