// A Vite plugin (production builds only): the messages of the languages other than the base one
// load only for a visitor who uses that language. Paraglide compiles each message into one module
// holding every language's version; bundled, the first page carried all six languages (about 40 %
// of its JavaScript). Here each message module keeps its base-language function and calls the
// others through `loadedLocales` (src/lib/locales.ts), and each other language becomes one chunk,
// `virtual:sealdrop-locale/<code>`, loaded by `loadLocale` before the app renders (+layout.ts).
// A message of a language not loaded (yet) falls back to the base language instead of failing.
// `vite dev` and the tests keep Paraglide's modules as they are (`loadLocale` then does nothing).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Plugin } from 'vite';

const LOADERS = 'virtual:sealdrop-locale-loaders';
const LOCALE = 'virtual:sealdrop-locale/';
/** Rendered in every language at once (the language switcher names each language in itself). */
const EVERY_LANGUAGE = new Set(['language_name']);

export function lazyLocales({ messagesDir, settings, store }: { messagesDir: string; settings: string; store: string }): Plugin {
	const dir = resolve(messagesDir);
	const storePath = resolve(store);
	const { baseLocale, locales } = JSON.parse(readFileSync(settings, 'utf8')) as { baseLocale: string; locales: string[] };
	const others = locales.filter((locale) => locale !== baseLocale);
	let build = false;

	/** The function definitions of one compiled message module, by language. */
	function definitions(code: string): { locale: string; key: string; start: number; end: number; text: string }[] {
		const found: { locale: string; key: string; start: number; end: number; text: string }[] = [];
		const start = new RegExp(`^const (${locales.join('|')})_(\\w+) = `, 'gm');
		for (let match = start.exec(code); match; match = start.exec(code)) {
			const bodyStart = match.index + match[0].length;
			// A definition ends where the next one (or the exported message's doc comment) begins.
			const next = code.slice(bodyStart).search(/\n(?=const |\/\*\*)/);
			const end = next === -1 ? code.length : bodyStart + next + 1;
			found.push({ locale: match[1]!, key: match[2]!, start: match.index, end, text: code.slice(match.index, end) });
		}
		return found;
	}

	return {
		name: 'sealdrop-lazy-locales',
		enforce: 'pre' as const,
		configResolved(config) {
			build = config.command === 'build' && !config.build.ssr;
		},
		resolveId(id) {
			if (id === LOADERS || id.startsWith(LOCALE)) return `\0${id}`;
		},
		load(id) {
			if (id === `\0${LOADERS}`) {
				if (!build) return 'export default {};';
				const entries = others.map((locale) => `${JSON.stringify(locale)}: () => import(${JSON.stringify(LOCALE + locale)})`);
				return `export default { ${entries.join(', ')} };`;
			}
			if (!id.startsWith(`\0${LOCALE}`)) return;
			const locale = id.slice(`\0${LOCALE}`.length);
			const parts = [`import * as registry from ${JSON.stringify(join(dir, '..', 'registry.js'))};`];
			const keys: string[] = [];
			for (const name of readdirSync(dir).sort()) {
				if (!name.endsWith('.js') || name.startsWith('_')) continue;
				for (const def of definitions(readFileSync(join(dir, name), 'utf8'))) {
					if (def.locale !== locale || EVERY_LANGUAGE.has(def.key)) continue;
					parts.push(def.text);
					keys.push(def.key);
				}
			}
			parts.push(`export default { ${keys.map((key) => `${key}: ${locale}_${key}`).join(', ')} };`);
			return parts.join('\n');
		},
		transform(code, id) {
			if (!build || !id.startsWith(dir) || !id.endsWith('.js') || id.slice(dir.length + 1).startsWith('_')) return;
			let out = code;
			const moved = new Set<string>();
			// Back to front, so earlier offsets stay right.
			for (const def of definitions(code).reverse()) {
				if (def.locale === baseLocale || EVERY_LANGUAGE.has(def.key)) continue;
				out = out.slice(0, def.start) + out.slice(def.end);
				moved.add(def.key);
			}
			if (moved.size === 0) return;
			// Paraglide's dispatch, `if (locale === "de") return de_key(inputs)` for each language and
			// `return en_key(inputs)` last, becomes one lookup: five branches per message were a fifth
			// of the remaining script.
			for (const key of moved) {
				const branches = new RegExp(
					`[ \\t]*if \\(locale === "(?:${others.join('|')})"\\) return (?:${others.join('|')})_${key}\\(inputs\\)\\n`,
					'g'
				);
				out = out
					.replace(branches, '')
					.replace(
						`return ${baseLocale}_${key}(inputs)`,
						`return (locale === ${JSON.stringify(baseLocale)} ? ${baseLocale}_${key} : __sdLocales[locale]?.${key} ?? ${baseLocale}_${key})(inputs)`
					);
				// The dispatch above, repeated in every message, was a few kB of the first page: one shared
				// function (locales.ts `localized`) builds it instead. Kept as it is if Paraglide's output changes.
				out = out.replace(
					new RegExp(
						`\\(\\(inputs(?: = \\{\\})?, options = \\{\\}\\) => \\{\\n\\tconst locale = experimentalStaticLocale \\?\\? options\\.locale \\?\\? getLocale\\(\\)\\n\\treturn \\(locale === ${JSON.stringify(baseLocale)} \\? ${baseLocale}_${key} : __sdLocales\\[locale\\]\\?\\.${key} \\?\\? ${baseLocale}_${key}\\)\\(inputs\\)\\n\\}\\)`
					),
					`(/* @__PURE__ */ __sdLocalized(${baseLocale}_${key}, ${JSON.stringify(key)}))`
				);
				// Anything the rewrite above did not foresee would call a function no longer here.
				for (const locale of others) {
					if (new RegExp(`\\b${locale}_${key}\\b`).test(out)) throw new Error(`lazy-locales: ${id} still calls ${locale}_${key}`);
				}
			}
			return {
				code: `import { loadedLocales as __sdLocales, localized as __sdLocalized } from ${JSON.stringify(storePath)};\n${out}`,
				map: null
			};
		}
	};
}
