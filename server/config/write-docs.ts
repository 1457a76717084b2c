// `npm run docs:config`: regenerates the variable table in docs/SELF-HOSTING.md.
import { writeBlock } from '../doc-blocks';
import { CONFIG_TABLE } from './docs';

await writeBlock('docs/SELF-HOSTING.md', CONFIG_TABLE, 'configuration table');
