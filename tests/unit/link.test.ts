import { describe, expect, it } from 'vitest';
import { bareLink, keyFromHash, keyFromInput, parseRequestLink, parseShareLink, shareLink, splitLink } from '../../src/lib/link';
import { requestLink } from '../../src/lib/transfer/requests';

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

describe('request link', () => {
	it('reads back the id and rs of what requestLink builds, and nothing from a share link', () => {
		expect(parseRequestLink(requestLink('https://drop.example', ID, KEY))).toEqual({ id: ID, secret: KEY });
		expect(parseRequestLink(requestLink('https://drop.example/', ID, KEY))).toEqual({ id: ID, secret: KEY });
		expect(parseRequestLink(`https://drop.example/r/${ID}/#${KEY}`)).toEqual({ id: ID, secret: KEY });
		expect(parseRequestLink(`https://drop.example/r/${ID}`)).toEqual({ id: ID, secret: '' });
		expect(parseRequestLink(shareLink('https://drop.example', ID, KEY))).toBeNull();
		expect(parseShareLink(requestLink('https://drop.example', ID, KEY))).toBeNull();
		for (const bad of ['https://drop.example/r/', `https://drop.example/r/${ID}/x#${KEY}`, 'https://drop.example/requests', 'r/x#y'])
			expect(parseRequestLink(bad), bad).toBeNull();
	});
});
