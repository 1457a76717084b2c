import { createHash } from 'node:crypto';

export interface InlineHashes {
	/** 'sha256-…' sources of inline <script> blocks. */
	scripts: string[];
	/** 'sha256-…' sources of inline <style> blocks. */
	styles: string[];
	/** 'sha256-…' sources of style="…" attributes (they need 'unsafe-hashes'). */
	styleAttributes: string[];
}

const hashSource = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The inline code of an HTML page, hashed as CSP expects (the exact text between the tags). */
export function inlineHashes(html: string): InlineHashes {
	const scripts: string[] = [];
	for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
		if (!/\bsrc\s*=/i.test(match[1] ?? '')) scripts.push(hashSource(match[2] ?? ''));
	}
	const styles = [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi)].map((m) => hashSource(m[1] ?? ''));
	const styleAttributes = [...html.matchAll(/<[a-z][^>]*?\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)].map((m) =>
		hashSource(m[1] ?? m[2] ?? '')
	);
	return { scripts, styles, styleAttributes };
}

/**
 * The style="…" attributes of the HTML templates compiled into an app script, hashed. SvelteKit's
 * route announcer is such a template, hidden by an inline style: without its hash every page
 * load logs a CSP violation.
 */
export function templateStyleAttributes(js: string): string[] {
	return [...js.matchAll(/<[a-z][^<>`]*?\sstyle="([^"<>`]*)"/gi)].map((m) => hashSource(m[1] ?? ''));
}

/**
 * The app's Content-Security-Policy: nothing from other origins, no inline code but the hashed
 * SvelteKit bootstrap, WebAssembly compilation allowed. `blob:` is allowed where the app builds
 * downloads and workers locally. `connectSources`: other origins the app fetches from (the S3
 * bucket, with direct transfers).
 */
export function buildCsp(hashes: InlineHashes, connectSources: string[] = []): string {
	const unique = (values: string[]): string[] => [...new Set(values)].sort();
	const styleSources = [...unique(hashes.styles), ...unique(hashes.styleAttributes)];
	// The SvelteKit template's <div style="display: contents"> is an inline style attribute:
	// allowed by its hash only ('unsafe-hashes'), never by 'unsafe-inline'.
	if (hashes.styleAttributes.length > 0) styleSources.unshift("'unsafe-hashes'");
	const directives: [string, string[]][] = [
		['default-src', ["'self'"]],
		// 'wasm-unsafe-eval' lets the page compile WebAssembly (Argon2id for share passwords); it
		// allows no eval() of JavaScript and no inline script.
		['script-src', ["'self'", "'wasm-unsafe-eval'", ...unique(hashes.scripts)]],
		['style-src', ["'self'", ...styleSources]],
		['img-src', ["'self'", 'blob:', 'data:']],
		['media-src', ["'self'", 'blob:']],
		['connect-src', ["'self'", ...connectSources]],
		['worker-src', ["'self'", 'blob:']],
		['frame-ancestors', ["'none'"]],
		['base-uri', ["'none'"]],
		['form-action', ["'self'"]],
		['object-src', ["'none'"]]
	];
	return directives.map(([name, sources]) => `${name} ${sources.join(' ')}`).join('; ');
}
