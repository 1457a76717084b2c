// `npm run docs:errors`: regenerates the error table in docs/API.md.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { withErrorTable } from '../error-docs';

const file = fileURLToPath(new URL('../../docs/API.md', import.meta.url));
const before = await readFile(file, 'utf8');
const after = withErrorTable(before);
if (after === before) {
	console.log('docs/API.md is up to date.');
} else {
	await writeFile(file, after);
	console.log('docs/API.md: error table updated.');
}
