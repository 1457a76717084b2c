import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatBytes, formatDate, formatDuration, formatSpeed, formatUntil } from '../../src/lib/format';
import { describeError } from '../../src/lib/messages';
import { m } from '../../src/lib/paraglide/messages.js';
import { baseLocale, locales, overwriteGetLocale, type Locale } from '../../src/lib/paraglide/runtime.js';

const DIR = join(import.meta.dirname, '../../messages');
type Entry = string | Record<string, string>;
const catalogue = (locale: string): Record<string, Entry> => {
	const { $schema: _, ...entries } = JSON.parse(readFileSync(join(DIR, `${locale}.json`), 'utf8')) as Record<string, Entry>;
	return entries;
};
const placeholders = (entry: Entry): string[] =>
	[
		...new Set(
			(typeof entry === 'string' ? [entry] : Object.values(entry)).flatMap((t) => [...t.matchAll(/\{(\w+)\}/g)].map((x) => x[1] ?? ''))
		)
	].sort();

describe('the message catalogue', () => {
	const base = catalogue(baseLocale);

	it('has one file per language of the project, and no other', () => {
		const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
		expect(files.map((f) => f.replace('.json', '')).sort()).toEqual([...locales].sort());
	});

	it.each(locales.filter((l) => l !== baseLocale))('has every key in %s, and no key English lacks', (locale) => {
		const own = catalogue(locale);
		expect(Object.keys(own).sort()).toEqual(Object.keys(base).sort());
		for (const [key, entry] of Object.entries(own)) {
			expect(entry, `${locale}: ${key} is empty`).not.toEqual('');
			// A placeholder the page fills must be in every language (plurals may drop {n}: "one file").
			const mine = placeholders(entry);
			const english = placeholders(base[key] as Entry);
			if (typeof entry === 'string') expect(mine, `${locale}: ${key}`).toEqual(english);
			else expect(english, `${locale}: ${key}`).toEqual(expect.arrayContaining(mine));
		}
	});

	it.each(locales)('uses only plural categories %s has, always with "other"', (locale) => {
		const categories = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
		for (const [key, entry] of Object.entries(catalogue(locale))) {
			if (typeof entry === 'string') continue;
			expect(Object.keys(entry), key).toContain('other');
			for (const category of Object.keys(entry)) expect(categories, `${locale}: ${key}`).toContain(category);
		}
	});
});

describe('in another language', () => {
	const use = (locale: Locale) => overwriteGetLocale(() => locale);
	afterEach(() => use(baseLocale));

	it('words messages and errors in it', () => {
		use('de');
		expect(m.start_upload()).toBe('Verschlüsseln und hochladen');
		expect(describeError(new DOMException('stop', 'AbortError')).message).toBe('Abgebrochen.');
		use('ar');
		expect(m.downloads_left({ count: 2, n: '2' })).toBe('تبقّى تنزيلان');
	});

	it('formats sizes, durations and times with the locale’s numbers and words', () => {
		use('de');
		expect(formatBytes(1_500_000)).toBe('1,5 MB');
		expect(formatSpeed(1_500_000)).toBe('1,5 MB/s');
		expect(formatDuration(7200)).toBe('2 Stunden');
		expect(formatUntil(Date.now() + 3 * 86_400_000 + 1000)).toBe('in 3 Tagen');
		use('fr');
		expect(formatBytes(1_500_000)).toMatch(/^1,5\s?Mo$/);
		use('ar');
		expect(formatBytes(1_500_000)).toBe(
			new Intl.NumberFormat('ar', { style: 'unit', unit: 'megabyte', minimumFractionDigits: 1 }).format(1.5)
		);
		expect(formatDate(Date.UTC(2026, 10, 29, 12))).toBe(
			new Intl.DateTimeFormat('ar', { dateStyle: 'medium', timeStyle: 'short' }).format(Date.UTC(2026, 10, 29, 12))
		);
		use('en');
		expect(formatBytes(1_500_000)).toBe('1.5 MB');
		expect(formatBytes(500)).toBe('500 bytes');
		expect(formatSpeed(25_000_000)).toBe('25 MB/s');
		expect(formatUntil(Date.now() + 86_400_000 + 1000)).toBe('in 1 day');
	});
});
