import loaders from 'virtual:sealdrop-locale-loaders';
import { baseLocale, experimentalStaticLocale, getLocale, type Locale } from '$lib/paraglide/runtime.js';

type Messages = Record<string, (inputs: unknown) => string>;

/**
 * The messages of each language other than the base one, once loaded. In production builds the
 * compiled messages look their translations up here (scripts/lazy-locales.ts); elsewhere every
 * language is built in and this stays empty.
 */
export const loadedLocales: Partial<Record<Locale, Messages>> = {};

/** Loads `locale`'s messages, if they come separately and are not loaded yet. */
export async function loadLocale(locale: Locale): Promise<void> {
	const load = (loaders as Partial<Record<Locale, () => Promise<{ default: Messages }>>>)[locale];
	if (!load || loadedLocales[locale]) return;
	loadedLocales[locale] = (await load()).default;
}

/**
 * A compiled message in production builds (scripts/lazy-locales.ts): the base language's text, or
 * the loaded translation, chosen when called, as Paraglide's own dispatch does.
 */
export function localized(base: (inputs: unknown) => string, key: string) {
	return (inputs: unknown = {}, options: { locale?: Locale } = {}): string => {
		const locale = experimentalStaticLocale ?? options.locale ?? getLocale();
		return (locale === baseLocale ? base : (loadedLocales[locale]?.[key] ?? base))(inputs);
	};
}
