// `npm run docs:errors`: regenerates the error table in docs/API.md.
import { writeBlock } from './doc-blocks';
import { ERROR_TABLE } from './error-docs';

await writeBlock('docs/API.md', ERROR_TABLE, 'error table');
