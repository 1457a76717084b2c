/** What to serve for a `Range` header (docs/API.md, blob). `end` is exclusive. */
export type RangeChoice =
	| { kind: 'full' }
	| { kind: 'partial'; start: number; end: number }
	| { kind: 'unsatisfiable' };

const SPEC = /^(?:(\d+)-(\d*)|-(\d+))$/;

/**
 * One byte range or none. A header that does not parse is ignored (RFC 9110 §14.2); several
 * ranges, a start at or past the end, or an empty suffix are unsatisfiable.
 */
export function parseRange(header: string | undefined, size: number): RangeChoice {
	if (header === undefined) return { kind: 'full' };
	const unit = /^\s*bytes\s*=(.*)$/i.exec(header);
	if (!unit) return { kind: 'full' };
	const specs = (unit[1] ?? '')
		.split(',')
		.map((spec) => spec.trim())
		.filter((spec) => spec !== '');
	const matches = specs.map((spec) => SPEC.exec(spec));
	if (matches.length === 0 || matches.some((match) => match === null)) return { kind: 'full' };
	const ranges = matches as RegExpExecArray[];
	const [first] = ranges;
	if (!first) return { kind: 'full' };
	// A range whose last byte is before its first is invalid syntax: ignore the header.
	if (ranges.some((m) => m[1] !== undefined && m[2] !== '' && Number(m[2]) < Number(m[1]))) return { kind: 'full' };
	if (ranges.length > 1) return { kind: 'unsatisfiable' };

	if (first[3] !== undefined) {
		const suffix = Number(first[3]);
		if (suffix === 0) return { kind: 'unsatisfiable' };
		return { kind: 'partial', start: Math.max(0, size - suffix), end: size };
	}
	const start = Number(first[1]);
	if (start >= size) return { kind: 'unsatisfiable' };
	const end = first[2] === '' ? size : Math.min(Number(first[2]) + 1, size);
	return { kind: 'partial', start, end };
}
