import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every word a person reads comes from messages/*.json: a page or component that writes English
// into its markup fails here. Technical strings that are the same in every language are allowed.
const SRC = join(import.meta.dirname, '../../src');
const ALLOWED = new Set(['Sealdrop', 'Authorization: Bearer &lt;token&gt;']);
/** Attributes whose value a person reads or hears (and the components' props that become one). */
const READ_ATTRIBUTES = ['aria-label', 'aria-description', 'placeholder', 'title', 'alt', 'label', 'keep'];

function svelteFiles(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) return entry.name === 'paraglide' ? [] : svelteFiles(path);
		return entry.name.endsWith('.svelte') ? [path] : [];
	});
}

/** The markup with every {expression} and {#block} taken out (nested braces included), and those taken out. */
function splitExpressions(markup: string): { markup: string; expressions: string } {
	let out = '';
	let expressions = '';
	let depth = 0;
	for (const char of markup) {
		if (char === '{') depth++;
		else if (char === '}') depth = Math.max(0, depth - 1);
		else if (depth === 0) out += char;
		else expressions += char;
	}
	return { markup: out, expressions };
}

/** The literal strings of a component's markup that a person would read or hear. */
function literalStrings(source: string): string[] {
	const { markup, expressions } = splitExpressions(
		source
			.replace(/<script[\s\S]*?<\/script>/g, '')
			.replace(/<style[\s\S]*?<\/style>/g, '')
			.replace(/<!--[\s\S]*?-->/g, '')
	);
	// A sentence written into an expression ({ok ? 'Saved' : `Saved ${n}`}) starts with a capital;
	// the markup's other literals (classes, states, codes) do not.
	const found = [...expressions.matchAll(/(['"`])([A-Z][a-z][^'"`]*)\1/g)].map((match) => match[2] ?? '');
	for (const attribute of READ_ATTRIBUTES) {
		for (const match of markup.matchAll(new RegExp(`\\s${attribute}="([^"]*)"`, 'g'))) found.push(match[1] ?? '');
	}
	for (const text of markup.replace(/<[^>]*>/g, '\n').split('\n')) found.push(text.trim());
	return found.filter((text) => /\p{L}/u.test(text) && !ALLOWED.has(text));
}

describe('user-visible strings', () => {
	it('finds a literal in markup and in a read attribute, and none in a message call', () => {
		expect(literalStrings('<p>Hello <b>{name}</b></p><img alt="A cat" src={x} /><input placeholder={m.x()} />')).toEqual([
			'A cat',
			'Hello'
		]);
		expect(literalStrings("<b class={on ? 'big red' : 'small'} aria-label={on ? 'Stop' : `Go ${n}`}>{m.go()}</b>")).toEqual([
			'Stop',
			'Go $n'
		]);
		expect(literalStrings('<script>const a = "Hi";</script><h1>{m.title()}</h1><!-- note -->')).toEqual([]);
	});

	it.each(svelteFiles(SRC).map((path) => relative(SRC, path)))('are all in the catalogue in %s', (file) => {
		expect(literalStrings(readFileSync(join(SRC, file), 'utf8'))).toEqual([]);
	});
});
