import { loadLocale } from '$lib/locales';
import { getLocale } from '$lib/paraglide/runtime.js';

// A pure single-page app: keys live in the URL fragment, which only the browser can read.
export const ssr = false;
export const prerender = false;

/** The visitor's language, before anything renders (production builds load it separately). */
export async function load(): Promise<void> {
	await loadLocale(getLocale());
}
