import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ERRORS_END, ERRORS_START, renderErrorTable, withErrorTable } from '../../server/error-docs';
import { ERROR_DOCS, STATUS_OF } from '../../server/errors';
import { API_ERROR_CODES } from '../../src/lib/api/types';

const API_MD = new URL('../../docs/API.md', import.meta.url);

describe('docs/API.md error table', () => {
	it('is the one generated from server/errors.ts (run `npm run docs:errors` if this fails)', async () => {
		const committed = await readFile(API_MD, 'utf8');
		expect(committed).toContain(ERRORS_START);
		expect(withErrorTable(committed)).toBe(committed);
	});

	it('has exactly one row per code of the union, with its status', () => {
		const table = renderErrorTable();
		for (const code of API_ERROR_CODES) {
			expect(table.split('\n').filter((line) => line.includes(`| \`${code}\` |`))).toEqual([
				`| ${STATUS_OF[code]} | \`${code}\` | ${ERROR_DOCS[code]} |`
			]);
		}
		// The Records give this at compile time; this catches a key outside the union.
		expect(Object.keys(STATUS_OF).sort()).toEqual([...API_ERROR_CODES].sort());
		expect(Object.keys(ERROR_DOCS).sort()).toEqual([...API_ERROR_CODES].sort());
	});

	it('lists the rows by status', () => {
		const statuses = renderErrorTable()
			.split('\n')
			.slice(2)
			.map((line) => Number(line.split('|')[1]));
		expect(statuses).toEqual([...statuses].sort((a, b) => a - b));
	});

	it('replaces only what lies between the markers', () => {
		const doc = `# Title\n\nbefore\n\n${ERRORS_START}\nstale table\n${ERRORS_END}\n\nafter\n`;
		const updated = withErrorTable(doc);
		expect(updated).not.toContain('stale table');
		expect(updated.startsWith('# Title\n\nbefore\n\n')).toBe(true);
		expect(updated.endsWith(`${ERRORS_END}\n\nafter\n`)).toBe(true);
		expect(withErrorTable(updated)).toBe(updated);
		expect(() => withErrorTable('no markers')).toThrow(/markers/);
	});
});
