import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeConfig } from '../../server/config/schema';
import { CONFIG_END, CONFIG_START, renderConfigTable, withConfigTable } from '../../server/config/docs';
import { runUntilExit } from '../support/instances';
import { tempDir } from './helpers';

const SELF_HOSTING = new URL('../../docs/SELF-HOSTING.md', import.meta.url);

describe('docs/SELF-HOSTING.md configuration table', () => {
	it('is the one generated from the schema (run `npm run docs:config` if this fails)', async () => {
		const committed = await readFile(SELF_HOSTING, 'utf8');
		expect(committed).toContain(CONFIG_START);
		expect(withConfigTable(committed)).toBe(committed);
	});

	it('has a row for every variable, with its default', () => {
		const table = renderConfigTable();
		for (const row of describeConfig()) expect(table).toContain(`| \`${row.name}\` |`);
		expect(table).toContain('| `SEALDROP_RATE_LIMIT_CREATE` | `30/600` |');
	});

	it('replaces only what lies between the markers', () => {
		const doc = `# Title\n\nbefore\n\n${CONFIG_START}\nstale table\n${CONFIG_END}\n\nafter\n`;
		const updated = withConfigTable(doc);
		expect(updated).not.toContain('stale table');
		expect(updated.startsWith('# Title\n\nbefore\n\n')).toBe(true);
		expect(updated.endsWith(`${CONFIG_END}\n\nafter\n`)).toBe(true);
		expect(withConfigTable(updated)).toBe(updated);
		expect(() => withConfigTable('no markers')).toThrow(/markers/);
	});
});

describe('a bad setting', () => {
	it('stops the server process with the variable named on stderr', async () => {
		const dir = await tempDir();
		try {
			const bad = await runUntilExit({
				SEALDROP_DATA_DIR: join(dir, 'data'),
				SEALDROP_RATE_LIMIT_CREATE: 'lots',
				SEALDROP_TRUST_PROXY: 'maybe'
			});
			expect(bad.code).toBe(1);
			expect(bad.stderr).toContain('SEALDROP_RATE_LIMIT_CREATE: must be N/SECONDS');
			expect(bad.stderr).toContain('SEALDROP_TRUST_PROXY: must be false, true or a number of proxies');
			expect(bad.stdout).not.toContain('listening');
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	}, 60_000);
});
