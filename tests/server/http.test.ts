import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetaStore, ShareStore } from '../../server/stores/meta/types';
import { bearer, createHarness, tempDir, type Harness } from './helpers';

const SCRIPT = `
				{
					__sveltekit_x = { base: "" };
					Promise.all([import("/_app/immutable/entry/start.js")]).then(([kit]) => kit.start());
				}
			`;
const PAGE = `<!doctype html>
<html><head><link href="/_app/immutable/entry/start.js" rel="modulepreload"></head>
<body><div style="display: contents"><script>${SCRIPT}</script><script type="module" src="/x.js"></script></div></body></html>`;

/** As SvelteKit's entry script carries its route announcer. */
const ANNOUNCER_STYLE = 'position: absolute; left: 0; top: 0; width: 1px; height: 1px';
const APP_ENTRY = `var D=l(\`<div id="svelte-announcer" aria-live="assertive" style="${ANNOUNCER_STYLE}"><!></div>\`);`;

const cspHash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

async function writeSite(staticDir: string): Promise<void> {
	await mkdir(join(staticDir, '_app', 'immutable', 'entry'), { recursive: true });
	await writeFile(join(staticDir, '200.html'), PAGE);
	await writeFile(join(staticDir, '_app', 'immutable', 'entry', 'start.js'), 'export const start = () => {};');
	await writeFile(join(staticDir, '_app', 'immutable', 'entry', 'app.abc123.js'), APP_ENTRY);
	await writeFile(join(staticDir, '_app', 'version.json'), '{"version":"1"}');
	await writeFile(join(staticDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
	await writeFile(join(staticDir, 'about.html'), '<!doctype html><p>about</p><script>console.log(1)</script>');
}

function expectSecurityHeaders(response: Response): void {
	const h = response.headers;
	expect(h.get('referrer-policy')).toBe('no-referrer');
	expect(h.get('x-content-type-options')).toBe('nosniff');
	expect(h.get('cross-origin-opener-policy')).toBe('same-origin');
	expect(h.get('cross-origin-resource-policy')).toBe('same-origin');
	expect(h.get('x-frame-options')).toBe('DENY');
	expect(h.get('permissions-policy')).toContain('camera=()');
	const csp = h.get('content-security-policy') ?? '';
	for (const directive of [
		"default-src 'self'",
		"img-src 'self' blob: data:",
		"media-src 'self' blob:",
		"connect-src 'self'",
		"worker-src 'self' blob:",
		"frame-ancestors 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"object-src 'none'"
	]) {
		expect(csp).toContain(directive);
	}
	expect(csp).not.toContain('unsafe-inline');
	// 'wasm-unsafe-eval' (WebAssembly only) is allowed; 'unsafe-eval' (JavaScript eval) never.
	expect(csp).not.toContain("'unsafe-eval'");
}

describe('the web app and headers', () => {
	let h: Harness;
	let base: string;
	beforeEach(async () => {
		base = await tempDir('sealdrop-site-');
		const staticDir = join(base, 'site');
		await writeSite(staticDir);
		h = await createHarness({ config: (config) => ({ ...config, staticDir }) });
	});
	afterEach(async () => {
		await h.close();
		await rm(base, { recursive: true, force: true });
	});

	it('puts the inline bootstrap script (and the inline style attributes) in the CSP by hash', async () => {
		const response = await h.app.request('/');
		expect(response.status).toBe(200);
		const csp = response.headers.get('content-security-policy') ?? '';
		const scriptSrc = csp.split('; ').find((d) => d.startsWith('script-src ')) ?? '';
		// 'wasm-unsafe-eval': WebAssembly (Argon2id) may compile; JavaScript eval stays forbidden.
		expect(scriptSrc).toBe(`script-src 'self' 'wasm-unsafe-eval' ${[cspHash(SCRIPT), cspHash('console.log(1)')].sort().join(' ')}`);
		expect(csp).not.toContain("'unsafe-eval'");
		const styleSrc = csp.split('; ').find((d) => d.startsWith('style-src ')) ?? '';
		// The route announcer's style attribute, in the app's entry script, too: no violation logged on each page.
		expect(styleSrc).toBe(`style-src 'self' 'unsafe-hashes' ${[cspHash('display: contents'), cspHash(ANNOUNCER_STYLE)].sort().join(' ')}`);
	});

	it('sends the security headers on pages, assets, API answers and API errors', async () => {
		for (const path of ['/', '/s/abc', '/favicon.svg', '/api/v1/config', '/api/v1/shares/bad', '/api/v1/nope', '/_app/nope.js']) {
			const response = await h.app.request(path);
			expect(response.status, path).toBeLessThan(500);
			expectSecurityHeaders(response);
		}
		const error = await h.app.request('/api/v1/shares/bad');
		expect(error.headers.get('cache-control')).toBe('no-store');
	});

	it('serves files with their types and caching; app routes get 200.html', async () => {
		const immutable = await h.app.request('/_app/immutable/entry/start.js');
		expect(immutable.status).toBe(200);
		expect(immutable.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
		expect(immutable.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
		expect(await immutable.text()).toBe('export const start = () => {};');

		const version = await h.app.request('/_app/version.json');
		expect(version.headers.get('cache-control')).toBe('no-cache');

		const etag = version.headers.get('etag') ?? '';
		const notModified = await h.app.request('/_app/version.json', { headers: { 'if-none-match': etag } });
		expect(notModified.status).toBe(304);

		for (const path of ['/', '/s/q3M8fW0xH1rJc2Zq9tYb1A', '/s/q3M8fW0xH1rJc2Zq9tYb1A/', '/uploads', '/account/', '/login', '/requests']) {
			const page = await h.app.request(path);
			expect(page.status, path).toBe(200);
			expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
			expect(page.headers.get('cache-control')).toBe('no-cache');
			expect(await page.text()).toBe(PAGE);
		}
		expect(await (await h.app.request('/about')).text()).toContain('<p>about</p>');
		expect((await h.app.request('/_app/immutable/missing.js')).status).toBe(404);
		expect((await h.app.request('/', { method: 'HEAD' })).status).toBe(200);
	});

	it('answers unknown files with 404, and unknown pages with the app and 404', async () => {
		for (const path of ['/robots.txt', '/manifest.json', '/nothing.png', '/deep/file.js', '/s/abc/x.txt']) {
			const response = await h.app.request(path);
			expect(response.status, path).toBe(404);
			expect(response.headers.get('content-type'), path).toBe('text/plain; charset=UTF-8');
			expectSecurityHeaders(response);
		}
		for (const path of ['/deep/link/', '/nope', '/s/abc/x', '/s/', '/r/abc/x', '/r/']) {
			const response = await h.app.request(path);
			expect(response.status, path).toBe(404);
			expect(await response.text(), path).toBe(PAGE);
		}
	});

	it('answers a share-target POST that no service worker took with the start page, unread', async () => {
		const form = new FormData();
		form.append('files', new Blob(['shared bytes']), 'a.txt');
		const response = await h.app.request('/_download/share', { method: 'POST', body: form });
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toBe('/');
		expectSecurityHeaders(response);
	});

	it('knows every route of the app (src/routes)', async () => {
		const routes = (await readdir('src/routes', { recursive: true }))
			.filter((file) => file.endsWith('+page.svelte'))
			.map(
				(file) =>
					'/' +
					dirname(file)
						.replace(/^\.$/, '')
						.replace(/\[[^\]]+\]/g, 'abc')
			);
		expect(routes.length).toBeGreaterThan(3);
		for (const path of routes) expect((await h.app.request(path)).status, path).toBe(200);
	});

	it('never serves a file outside the static directory', async () => {
		await writeFile(join(base, 'secret.txt'), 'secret');
		for (const path of [
			'/../secret.txt',
			'/%2e%2e/secret.txt',
			'/..%2fsecret.txt',
			'/%2e%2e%2fsecret.txt',
			'/a/%2e%2e/%2e%2e/secret.txt'
		]) {
			const response = await h.app.request(path);
			expect(await response.text(), path).not.toContain('secret');
		}
		expect((await h.app.request('/%00')).status).toBe(404);
		expect((await h.app.request('/%E0%A4%A')).status).toBe(404);
	});

	it('answers a path segment too long for the file system with the SPA or 404, logging nothing', async () => {
		const long = 'a'.repeat(300);
		for (const [path, status] of [
			[`/s/${long}`, 200],
			[`/${long}`, 404],
			[`/s/${long}/x`, 404],
			[`/favicon.svg/${long}`, 404]
		] as const) {
			const page = await h.app.request(path);
			expect(page.status, path).toBe(status);
			expect(await page.text()).toBe(PAGE);
		}
		expect((await h.app.request(`/_app/${long}.js`)).status).toBe(404);
		expect(h.logs.lines).toEqual([]);
	});
});

describe('without a build', () => {
	it('answers pages with 503 and a hint, while the API works', async () => {
		const h = await createHarness();
		try {
			const page = await h.app.request('/');
			expect(page.status).toBe(503);
			expect(await page.text()).toContain('npm run build');
			expectSecurityHeaders(page);
			expect((await h.api('/config')).status).toBe(200);
		} finally {
			await h.close();
		}
	});
});

describe('errors nobody expected', () => {
	function failing(meta: MetaStore, error: Error): MetaStore {
		return { ...meta, shares: Object.assign(Object.create(meta.shares) as ShareStore, { get: async () => Promise.reject(error) }) };
	}

	it('become a generic 500, logged with a stack but without the request', async () => {
		const h = await createHarness({
			wrapMeta: (meta) => failing(meta, new Error('the disk is haunted'))
		});
		try {
			const token = 'T'.repeat(43);
			const response = await h.app.request(`/api/v1/shares/${'A'.repeat(22)}/metadata`, { headers: bearer(token) });
			expect(response.status).toBe(500);
			expect(await response.json()).toEqual({ error: { code: 'INTERNAL', message: 'Internal server error.' } });
			expectSecurityHeaders(response);
			const logged = h.logs.lines.find((line) => line.msg === 'unhandled error') as { err: { stack: string } } | undefined;
			expect(logged?.err.stack).toContain('the disk is haunted');
			expect(logged).toMatchObject({ method: 'GET', route: '/api/v1/shares/:id/metadata' });
			expect(h.logs.text()).not.toContain(token);
		} finally {
			await h.close();
		}
	});
});
