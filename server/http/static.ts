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
 * The SvelteKit routes (src/routes): `/`, `/uploads`, `/account`, `/login`, `/requests`, a share
 * `/s/<id>` and a file request `/r/<id>`. Only these get the SPA with 200;
 * tests/server/http.test.ts checks the list against src/routes.
 */
const APP_ROUTE = /^\/(?:(?:uploads|account|login|requests)\/?|[sr]\/[^/]+\/?)?$/;

/**
 * Files that scripts/precompress.mjs gives `.br` and `.gz` variants at build time (kept in step
 * with its list). Their answers vary by Accept-Encoding even when no variant exists.
 */
const COMPRESSIBLE = /\.(?:html|js|mjs|css|svg|json|webmanifest|wasm|txt|map)$/i;

/** Best first: brotli is smaller than gzip for the same file. */
const ENCODINGS = [
	{ name: 'br', ext: '.br' },
	{ name: 'gzip', ext: '.gz' }
] as const;
type EncodingName = (typeof ENCODINGS)[number]['name'];

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
export function loadStaticSite(dir: string, logger: Logger, connectSources: string[] = []): StaticSite {
	const root = resolve(dir);
	const fallbackPath = join(root, FALLBACK);
	if (!existsSync(fallbackPath)) {
		logger.warn({ staticDir: root }, 'web app not built: the API works, pages answer 503 (run `npm run build`)');
		return {
			csp: buildCsp({ scripts: [], styles: [], styleAttributes: [] }, connectSources),
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
	const fallback = fallbackVariants(fallbackPath);

	const handler: Handler = (c) => {
		const pathname = new URL(c.req.url).pathname;
		const file = findFile(root, pathname);
		if (file) {
			const compressible = COMPRESSIBLE.test(file.path);
			// If-Range needs a strong validator; ours are weak, so it never holds: the whole file.
			const range = c.req.header('if-range') === undefined ? c.req.header('range') : undefined;
			// A Range names bytes of the file as stored: always the identity variant (see rangeOf).
			const variant = compressible && range === undefined ? pickVariant(file, c.req.header('accept-encoding')) : identity(file);
			const headers: Record<string, string> = {
				'Content-Type': CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
				'Cache-Control': file.path.startsWith(join(root, '_app', 'immutable') + sep) ? IMMUTABLE : REVALIDATE,
				'Accept-Ranges': 'bytes',
				ETag: variant.etag
			};
			// Caches must keep one copy per encoding, also of the identity answer.
			if (compressible) headers.Vary = 'Accept-Encoding';
			if (variant.encoding) headers['Content-Encoding'] = variant.encoding;
			if (matchesEtag(c.req.header('if-none-match'), variant.etag)) return c.body(null, 304, headers);
			const size = variant.stats.size;
			if (range !== undefined) {
				const span = rangeOf(range, size);
				if (span === 'unsatisfiable') return c.body(null, 416, { ...headers, 'Content-Range': `bytes */${size}` });
				if (span) {
					return c.body(toWebStream(fileChunks(variant.path, span)), 206, {
						...headers,
						'Content-Range': `bytes ${span.start}-${span.end}/${size}`,
						'Content-Length': String(span.end - span.start + 1)
					});
				}
			}
			return c.body(toWebStream(fileChunks(variant.path)), 200, { ...headers, 'Content-Length': String(size) });
		}
		// A missing script or style, or any path that names a file (robots.txt, manifest.json),
		// must fail loudly, not arrive as the app with 200.
		if (pathname.startsWith('/_app/') || looksLikeFile(pathname)) return c.text('Not found', 404);
		// Any other unknown path: the app, which shows its own "not found" page, but with a 404
		// so crawlers and monitors see what it is.
		const body = fallback[preferredEncoding(c.req.header('accept-encoding'), (e) => fallback[e] !== undefined)] ?? fallback.identity;
		return c.body(body.bytes, APP_ROUTE.test(pathname) ? 200 : 404, {
			'Content-Type': 'text/html; charset=utf-8',
			'Cache-Control': REVALIDATE,
			Vary: 'Accept-Encoding',
			...(body.encoding && { 'Content-Encoding': body.encoding }),
			'Content-Length': String(body.bytes.length)
		});
	};
	return { csp: buildCsp(hashes, connectSources), handler };
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
async function* fileChunks(path: string, span?: { start: number; end: number }): AsyncGenerator<Uint8Array> {
	for await (const chunk of createReadStream(path, span)) yield chunk as Buffer;
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

interface Variant {
	path: string;
	stats: Stats;
	/** Content-Encoding; undefined for the file as it is. */
	encoding?: EncodingName;
	etag: string;
}

function identity(file: { path: string; stats: Stats }): Variant {
	return { ...file, etag: etagOf(file.stats) };
}

/** Each encoding has its own ETag: a cache must never answer a gzip request with brotli bytes. */
function etagOf(stats: Stats, encoding?: EncodingName): string {
	const tag = `${stats.size.toString(36)}-${Math.trunc(stats.mtimeMs).toString(36)}`;
	return `W/"${encoding ? `${tag}-${encoding}` : tag}"`;
}

/**
 * The best precompressed variant this request accepts, or the file itself. A variant older than
 * its file is left out: it was made from content that has since been replaced.
 */
function pickVariant(file: { path: string; stats: Stats }, acceptEncoding: string | undefined): Variant {
	const found = new Map<EncodingName, Stats>();
	const chosen = preferredEncoding(acceptEncoding, (name) => {
		const ext = ENCODINGS.find((e) => e.name === name)!.ext;
		const stats = statOrNothing(file.path + ext);
		if (!stats?.isFile() || stats.mtimeMs < file.stats.mtimeMs) return false;
		found.set(name, stats);
		return true;
	});
	if (chosen === 'identity') return identity(file);
	const stats = found.get(chosen)!;
	return { path: file.path + ENCODINGS.find((e) => e.name === chosen)!.ext, stats, encoding: chosen, etag: etagOf(stats, chosen) };
}

/**
 * br, then gzip, then identity: the first the request accepts (q above 0, named or through `*`)
 * and `available` has. Identity is the answer of last resort even if refused with q=0: a 406
 * would help nobody, and every client reads uncompressed bytes.
 */
function preferredEncoding(acceptEncoding: string | undefined, available: (name: EncodingName) => boolean): EncodingName | 'identity' {
	if (!acceptEncoding) return 'identity';
	const q = new Map<string, number>();
	for (const part of acceptEncoding.split(',')) {
		const [token, ...params] = part.trim().toLowerCase().split(';');
		if (!token) continue;
		const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
		const value = qParam ? Number(qParam.slice(2)) : 1;
		q.set(token === 'x-gzip' ? 'gzip' : token, Number.isFinite(value) ? value : 0);
	}
	for (const { name } of ENCODINGS) {
		if ((q.get(name) ?? q.get('*') ?? 0) > 0 && available(name)) return name;
	}
	return 'identity';
}

/** If-None-Match: a list of (weak or strong) tags, or `*`; compared weakly, as RFC 9110 says. */
function matchesEtag(header: string | undefined, etag: string): boolean {
	if (!header) return false;
	const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
	return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}

/**
 * One `bytes=` range of a file (`a-b`, `a-`, `-n`), served from the identity variant: a range
 * of brotli bytes would be useless to a client resuming what it decoded, and each variant would
 * need its own ETag for If-Range. Several ranges or a malformed header: undefined, and the whole
 * file with 200, which RFC 9110 allows. A start past the end: unsatisfiable (416).
 */
function rangeOf(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
	const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
	if (!match || (match[1] === '' && match[2] === '')) return undefined;
	if (match[1] === '') {
		const suffix = Number(match[2]);
		if (suffix === 0) return 'unsatisfiable';
		return { start: Math.max(0, size - suffix), end: size - 1 };
	}
	const start = Number(match[1]);
	const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
	if (start >= size) return 'unsatisfiable';
	if (end < start) return undefined;
	return { start, end };
}

/** The SPA fallback and its precompressed variants, read once: it is small and sent often. */
function fallbackVariants(path: string): Partial<Record<EncodingName, { bytes: Uint8Array<ArrayBuffer>; encoding: EncodingName }>> & {
	identity: { bytes: Uint8Array<ArrayBuffer>; encoding?: undefined };
} {
	const variants: ReturnType<typeof fallbackVariants> = { identity: { bytes: readFileSync(path) } };
	const mtime = statSync(path).mtimeMs;
	for (const { name, ext } of ENCODINGS) {
		const stats = statOrNothing(path + ext);
		if (stats?.isFile() && stats.mtimeMs >= mtime) variants[name] = { bytes: readFileSync(path + ext), encoding: name };
	}
	return variants;
}
