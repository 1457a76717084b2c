import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * A generated part of a Markdown file in docs/: what `render` makes, between two HTML-comment
 * markers, under a note that says how it is made. A test per block checks the committed file
 * against it (`withBlock(committed) === committed`).
 */
export interface GeneratedBlock {
	start: string;
	end: string;
	note: string;
	render(): string;
}

/** Text for a Markdown table cell: a `|` would end the cell and a newline the row. */
export const tableCell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** `markdown` with the text between the block's markers replaced by the block. */
export function withBlock(markdown: string, block: GeneratedBlock): string {
	const start = markdown.indexOf(block.start);
	const end = markdown.indexOf(block.end);
	if (start < 0 || end < start) throw new Error(`missing ${block.start} … ${block.end} markers`);
	return `${markdown.slice(0, start)}${block.start}\n${block.note}\n\n${block.render()}\n\n${markdown.slice(end)}`;
}

/** For the `npm run docs:*` scripts: regenerates `block` in `doc` (a path from the repository's root) if it drifted. */
export async function writeBlock(doc: string, block: GeneratedBlock, what: string): Promise<void> {
	const file = fileURLToPath(new URL(`../${doc}`, import.meta.url));
	const before = await readFile(file, 'utf8');
	const after = withBlock(before, block);
	if (after === before) {
		console.log(`${doc} is up to date.`);
	} else {
		await writeFile(file, after);
		console.log(`${doc}: ${what} updated.`);
	}
}
