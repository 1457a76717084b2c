import { describe, expect, it } from 'vitest';
import { parseRange } from '../../server/http/range';

describe('parseRange (size 1000)', () => {
	const cases: [string | undefined, ReturnType<typeof parseRange>][] = [
		[undefined, { kind: 'full' }],
		['bytes=0-99', { kind: 'partial', start: 0, end: 100 }],
		['bytes=100-', { kind: 'partial', start: 100, end: 1000 }],
		['bytes=-10', { kind: 'partial', start: 990, end: 1000 }],
		['bytes=-5000', { kind: 'partial', start: 0, end: 1000 }],
		['bytes=990-5000', { kind: 'partial', start: 990, end: 1000 }],
		['bytes=999-999', { kind: 'partial', start: 999, end: 1000 }],
		['BYTES = 5-6', { kind: 'partial', start: 5, end: 7 }],
		['bytes=1000-', { kind: 'unsatisfiable' }],
		['bytes=1000-2000', { kind: 'unsatisfiable' }],
		['bytes=99999999999999999999-', { kind: 'unsatisfiable' }],
		['bytes=-0', { kind: 'unsatisfiable' }],
		['bytes=0-1,5-6', { kind: 'unsatisfiable' }],
		['bytes=0-1, -5', { kind: 'unsatisfiable' }],
		['bytes=abc', { kind: 'full' }],
		['bytes=5-2', { kind: 'full' }],
		['bytes=', { kind: 'full' }],
		['bytes=-', { kind: 'full' }],
		['bytes=0-1,x', { kind: 'full' }],
		['items=0-1', { kind: 'full' }],
		['0-1', { kind: 'full' }]
	];
	for (const [header, expected] of cases) {
		it(`${JSON.stringify(header)} → ${JSON.stringify(expected)}`, () => {
			expect(parseRange(header, 1000)).toEqual(expected);
		});
	}
});
