import { createReadStream, existsSync, readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import type { Handler } from 'hono';
import type { Logger } from '../logger';
import { toWebStream } from '../streams';
import { buildCsp, inlineHashes, templateStyleAttributes, type InlineHashes } from './csp';

const FALLBACK = '200.html';

const CONTENT_TYPES: Record<string, string> = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.mjs': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.json': 'application/json',
	'.webmanifest': 'application/manifest+json',
	'.map': 'application/json',
	'.svg': 'image/svg+xml',
	'.png': 'image/png',
	'.jpg': 'image/jpeg',
	'.jpeg': 'image/jpeg',
	'.webp': 'image/webp',
	'.avif': 'image/avif',
	'.gif': 'image/gif',
	'.ico': 'image/x-icon',
	'.woff': 'font/woff',
	'.woff2': 'font/woff2',
	'.wasm': 'application/wasm',
	'.txt': 'text/plain; charset=utf-8'
};

/**
 * The SvelteKit routes (src/routes): `/`, `/uploads`, `/account`, `/login`, `/s/<id>`. Only
 * these get the SPA with 200; tests/server/http.test.ts checks the list against src/routes.
 */
const APP_ROUTE = /^\/(?:(?:uploads|account|login)\/?|s\/[^/]+\/?)?$/;

/** Hashed file names never change content: cache them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Everything else (HTML above all) must be revalidated, or a deploy would not reach users. */
const REVALIDATE = 'no-cache';

export interface StaticSite {
	/** The CSP for every response, with the hashes of the build's inline code. */
	csp: string;
	/** GET/HEAD of anything outside /api. */
	handler: Handler;
}

/**
 * The SvelteKit adapter-static build: files as they are, `_app/immutable/*` cached forever,
 * the app's routes answered with the SPA fallback `200.html`, unknown files with 404. Read at start-up (the
 * HTML is small) so the CSP can carry the hashes of its inline bootstrap scripts.
 */
export function loadStaticSite(dir: string, logger: Logger): StaticSite {
	const root = resolve(dir);
	const fallbackPath = join(root, FALLBACK);
	if (!existsSync(fallbackPath)) {
		logger.warn({ staticDir: root }, 'web app not built: the API works, pages answer 503 (run `npm run build`)');
		return {
			csp: buildCsp({ scripts: [], styles: [], styleAttributes: [] }),
			handler: (c) =>
				c.text(`Sealdrop's web app is not built (no ${FALLBACK} in ${root}).\nRun \`npm run build\`, then restart the server.\n`, 503, {
					'Cache-Control': 'no-store',
					'Retry-After': '60'
				})
		};
	}

	const hashes: InlineHashes = { scripts: [], styles: [], styleAttributes: [] };
	for (const file of htmlFiles(root)) {
		const found = inlineHashes(readFileSync(file, 'utf8'));
		hashes.scripts.push(...found.scripts);
		hashes.styles.push(...found.styles);
		hashes.styleAttributes.push(...found.styleAttributes);
	}
	// The entry script renders SvelteKit's route announcer, whose style attribute needs a hash too.
	const entryDir = join(root, '_app', 'immutable', 'entry');
	if (existsSync(entryDir)) {
		for (const name of readdirSync(entryDir)) {
			if (name.startsWith('app.') && name.endsWith('.js'))
				hashes.styleAttributes.push(...templateStyleAttributes(readFileSync(join(entryDir, name), 'utf8')));
		}
	}
	const fallbackHtml = readFileSync(fallbackPath);

	const handler: Handler = (c) => {
		const file = findFile(root, new URL(c.req.url).pathname);
		if (file) {
			const etag = `W/"${file.stats.size.toString(36)}-${Math.trunc(file.stats.mtimeMs).toString(36)}"`;
			const headers = {
				'Content-Type': CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
				'Cache-Control': file.path.startsWith(join(root, '_app', 'immutable') + sep) ? IMMUTABLE : REVALIDATE,
				ETag: etag
			};
			if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
			return c.body(toWebStream(fileChunks(file.path)), 200, {
				...headers,
				'Content-Length': String(file.stats.size)
			});
		}
		const pathname = new URL(c.req.url).pathname;
		// A missing script or style, or any path that names a file (robots.txt, manifest.json),
		// must fail loudly, not arrive as the app with 200.
		if (pathname.startsWith('/_app/') || looksLikeFile(pathname)) return c.text('Not found', 404);
		// Any other unknown path: the app, which shows its own "not found" page, but with a 404
		// so crawlers and monitors see what it is.
		return c.body(fallbackHtml, APP_ROUTE.test(pathname) ? 200 : 404, {
			'Content-Type': 'text/html; charset=utf-8',
			'Cache-Control': REVALIDATE,
			'Content-Length': String(fallbackHtml.length)
		});
	};
	return { csp: buildCsp(hashes), handler };
}

/** The last segment has an extension: `/robots.txt`, `/a/b.json`, but not `/s/abc` or `/x/`. */
function looksLikeFile(pathname: string): boolean {
	const last = pathname.slice(pathname.lastIndexOf('/') + 1);
	return /\.[A-Za-z0-9]+$/.test(last);
}

/** A regular file inside root for this URL path (`/x` may be `x`, `x.html` or `x/index.html`). */
function findFile(root: string, pathname: string): { path: string; stats: Stats } | undefined {
	let decoded: string;
	try {
		decoded = decodeURIComponent(pathname);
	} catch {
		return undefined;
	}
	if (decoded.includes('\0')) return undefined;
	const base = resolve(root, `.${decoded}`);
	const rel = relative(root, base);
	if (rel.startsWith('..') || resolve(root, rel) !== base) return undefined;
	const candidates = decoded.endsWith('/') ? [join(base, 'index.html')] : [base, `${base}.html`, join(base, 'index.html')];
	for (const path of candidates) {
		const stats = statOrNothing(path);
		if (stats?.isFile()) return { path, stats };
	}
	return undefined;
}

/**
 * A path that cannot name a file here (a segment over the file system's 255 bytes:
 * ENAMETOOLONG; a file used as a directory: ENOTDIR) is simply not a file of the build: the
 * request gets the SPA or a 404, not a 500 with the URL in the error log.
 */
function statOrNothing(path: string): Stats | undefined {
	try {
		return statSync(path, { throwIfNoEntry: false });
	} catch {
		return undefined;
	}
}

/** Opens the file only when the first chunk is wanted: a HEAD or an aborted request opens nothing. */
async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
	for await (const chunk of createReadStream(path)) yield chunk as Buffer;
}

function htmlFiles(dir: string): string[] {
	const found: string[] = [];
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		const path = join(dir, entry.name);
		if (entry.isDirectory() && entry.name !== '_app') found.push(...htmlFiles(path));
		else if (entry.isFile() && entry.name.endsWith('.html')) found.push(path);
	}
	return found;
}
