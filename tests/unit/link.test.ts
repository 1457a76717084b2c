import { describe, expect, it } from 'vitest';
import { bareLink, keyFromHash, keyFromInput, parseShareLink, shareLink, splitLink } from '../../src/lib/link';

const ID = 'AbCdEfGhIjKlMnOpQrStUv';
const KEY = 'k'.repeat(43);

describe('share link', () => {
	it('is the origin, /s/<id> and the key after "#"', () => {
		expect(shareLink('https://drop.example', ID, KEY)).toBe(`https://drop.example/s/${ID}#${KEY}`);
		expect(shareLink('https://drop.example/', ID, KEY)).toBe(`https://drop.example/s/${ID}#${KEY}`);
		expect(bareLink('http://127.0.0.1:8080', ID)).toBe(`http://127.0.0.1:8080/s/${ID}`);
	});

	it('in two halves: the link without its key, and the key; together they make the whole link', () => {
		const halves = splitLink('https://drop.example', ID, KEY);
		expect(halves).toEqual({ link: `https://drop.example/s/${ID}`, key: KEY });
		expect(halves.link).not.toContain(KEY);
		expect(`${halves.link}#${halves.key}`).toBe(shareLink('https://drop.example', ID, KEY));
	});

	it('reads back what it builds', () => {
		expect(parseShareLink(shareLink('https://drop.example', ID, KEY))).toEqual({ id: ID, key: KEY });
		expect(parseShareLink(bareLink('https://drop.example', ID))).toEqual({ id: ID, key: '' });
		expect(parseShareLink('https://drop.example/uploads')).toBeNull();
		expect(parseShareLink('https://drop.example/s/')).toBeNull();
		expect(parseShareLink('not a link')).toBeNull();
	});

	it('takes the key from the fragment, empty when the link came without it', () => {
		expect(keyFromHash(`#${KEY}`)).toBe(KEY);
		expect(keyFromHash('')).toBe('');
	});

	it('accepts a pasted key alone or inside a whole link, trimmed', () => {
		expect(keyFromInput(`  ${KEY}\n`)).toBe(KEY);
		expect(keyFromInput(` ${shareLink('https://drop.example', ID, KEY)} `)).toBe(KEY);
		expect(keyFromInput(`#${KEY}`)).toBe(KEY);
		expect(keyFromInput('   ')).toBe('');
	});
});
