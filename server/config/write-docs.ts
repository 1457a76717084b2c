// `npm run docs:config`: regenerates the variable table in docs/SELF-HOSTING.md.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { withConfigTable } from './docs';

const file = fileURLToPath(new URL('../../docs/SELF-HOSTING.md', import.meta.url));
const before = await readFile(file, 'utf8');
const after = withConfigTable(before);
if (after === before) {
	console.log('docs/SELF-HOSTING.md is up to date.');
} else {
	await writeFile(file, after);
	console.log('docs/SELF-HOSTING.md: configuration table updated.');
}
