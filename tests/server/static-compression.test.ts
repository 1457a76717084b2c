import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSealdrop, type RunningSealdrop } from '../../server/start';
import { listeningConfig, tempDir } from './helpers';

/** Compresses well and is well over the 1 KiB threshold. */
const SCRIPT = `export const words = ${JSON.stringify(Array.from({ length: 400 }, (_, i) => `word number ${i}`))};\n`;
const PAGE = `<!doctype html><html><head><title>app</title></head><body>${'<p>Sealdrop</p>'.repeat(200)}</body></html>`;

interface Answer {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	/** The bytes as sent, not decoded: Node's fetch would decode them and hide what the server did. */
	body: Buffer;
}

/** The web app built the way `npm run build` builds it, served by the real server over HTTP. */
describe('precompressed static files', () => {
	let dir: string;
	let site: string;
	let server: RunningSealdrop;
	beforeAll(async () => {
		dir = await tempDir('sealdrop-static-');
		site = join(dir, 'site');
		await mkdir(join(site, '_app', 'immutable', 'chunks'), { recursive: true });
		await writeFile(join(site, '200.html'), PAGE);
		await writeFile(join(site, '_app', 'immutable', 'chunks', 'app.js'), SCRIPT);
		await writeFile(join(site, '_app', 'immutable', 'chunks', 'tiny.js'), 'export {};');
		// Random bytes do not shrink: no variant is written, but the answer still varies.
		await writeFile(join(site, '_app', 'immutable', 'chunks', 'noise.js'), randomBytes(4096));
		await writeFile(join(site, 'logo.png'), randomBytes(2048));
		await promisify(execFile)(process.execPath, ['scripts/precompress.mjs', site]);
		server = await startSealdrop(listeningConfig(dir, { SEALDROP_STATIC_DIR: site }));
	});
	afterAll(async () => {
		await server.close();
		await rm(dir, { recursive: true, force: true });
	});

	function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
		return new Promise((resolve, reject) => {
			const req = request(`${server.url}${path}`, { method, headers }, (res) => {
				const chunks: Buffer[] = [];
				res.on('data', (chunk: Buffer) => chunks.push(chunk));
				res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
				res.on('error', reject);
			});
			req.on('error', reject);
			req.end();
		});
	}

	const decode = (answer: Answer) =>
		answer.headers['content-encoding'] === 'br'
			? brotliDecompressSync(answer.body)
			: answer.headers['content-encoding'] === 'gzip'
				? gunzipSync(answer.body)
				: answer.body;

	it('writes .br and .gz only for compressible files that are large enough and shrink', async () => {
		const chunks = join(site, '_app', 'immutable', 'chunks');
		expect(brotliDecompressSync(await readFile(join(chunks, 'app.js.br'))).toString()).toBe(SCRIPT);
		expect(gunzipSync(await readFile(join(chunks, 'app.js.gz'))).toString()).toBe(SCRIPT);
		for (const missing of ['tiny.js.br', 'tiny.js.gz', 'noise.js.br', 'noise.js.gz']) {
			await expect(readFile(join(chunks, missing)), missing).rejects.toThrow(/ENOENT/);
		}
		await expect(readFile(join(site, 'logo.png.br'))).rejects.toThrow(/ENOENT/);
	});

	it.each([
		['br, gzip, deflate', 'br'],
		['gzip, deflate, br, zstd', 'br'],
		['gzip', 'gzip'],
		['x-gzip', 'gzip'],
		['br;q=0, gzip;q=0.5', 'gzip'],
		['*', 'br'],
		['*;q=0.1, br;q=0', 'gzip'],
		['gzip;q=0, br;q=0', undefined],
		['identity', undefined],
		['', undefined],
		['deflate', undefined]
	])('Accept-Encoding "%s" gets %s', async (accept, encoding) => {
		const answer = await get('/_app/immutable/chunks/app.js', accept ? { 'accept-encoding': accept } : {});
		expect(answer.status).toBe(200);
		expect(answer.headers['content-encoding']).toBe(encoding);
		expect(answer.headers.vary).toBe('Accept-Encoding');
		expect(answer.headers['content-type']).toBe('text/javascript; charset=utf-8');
		expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
		expect(decode(answer).toString()).toBe(SCRIPT);
		if (encoding) expect(answer.body.length).toBeLessThan(SCRIPT.length / 2);
	});

	it('gives each encoding its own ETag, and answers If-None-Match per encoding', async () => {
		const etags = new Map<string, string>();
		for (const accept of ['br', 'gzip', 'identity']) {
			const answer = await get('/_app/immutable/chunks/app.js', { 'accept-encoding': accept });
			etags.set(accept, String(answer.headers.etag));
		}
		expect(new Set(etags.values()).size).toBe(3);
		for (const [accept, etag] of etags) {
			const fresh = await get('/_app/immutable/chunks/app.js', { 'accept-encoding': accept, 'if-none-match': etag });
			expect(fresh.status, accept).toBe(304);
			expect(fresh.body.length).toBe(0);
			expect(fresh.headers.etag).toBe(etag);
			expect(fresh.headers.vary).toBe('Accept-Encoding');
		}
		// A tag of another encoding is not this representation: the whole body again.
		const other = await get('/_app/immutable/chunks/app.js', { 'accept-encoding': 'gzip', 'if-none-match': etags.get('br')! });
		expect(other.status).toBe(200);
		expect(other.headers['content-encoding']).toBe('gzip');
		const listed = await get('/_app/immutable/chunks/app.js', {
			'accept-encoding': 'gzip',
			'if-none-match': `"nope", ${etags.get('gzip')!}`
		});
		expect(listed.status).toBe(304);
	});

	it('answers HEAD with the headers of the chosen encoding and no body', async () => {
		const full = await get('/_app/immutable/chunks/app.js', { 'accept-encoding': 'br' });
		const head = await get('/_app/immutable/chunks/app.js', { 'accept-encoding': 'br' }, 'HEAD');
		expect(head.status).toBe(200);
		expect(head.body.length).toBe(0);
		expect(head.headers['content-encoding']).toBe('br');
		expect(head.headers['content-length']).toBe(String(full.body.length));
		expect(head.headers.etag).toBe(full.headers.etag);
	});

	it('serves a Range from the file as stored, never from a compressed variant', async () => {
		const part = await get('/_app/immutable/chunks/app.js', { 'accept-encoding': 'br', range: 'bytes=10-29' });
		expect(part.status).toBe(206);
		expect(part.headers['content-encoding']).toBeUndefined();
		expect(part.headers['content-range']).toBe(`bytes 10-29/${SCRIPT.length}`);
		expect(part.body.toString()).toBe(SCRIPT.slice(10, 30));
		const tail = await get('/_app/immutable/chunks/app.js', { range: 'bytes=-5' });
		expect(tail.body.toString()).toBe(SCRIPT.slice(-5));
		const beyond = await get('/_app/immutable/chunks/app.js', { range: `bytes=${SCRIPT.length}-` });
		expect(beyond.status).toBe(416);
		expect(beyond.headers['content-range']).toBe(`bytes */${SCRIPT.length}`);
		// If-Range asks for a strong validator; ours are weak, so the answer is the whole file.
		const conditional = await get('/_app/immutable/chunks/app.js', { range: 'bytes=0-1', 'if-range': String(part.headers.etag) });
		expect(conditional.status).toBe(200);
		expect(conditional.body.toString()).toBe(SCRIPT);
		const several = await get('/_app/immutable/chunks/app.js', { range: 'bytes=0-1,5-6' });
		expect(several.status).toBe(200);
		expect(several.body.toString()).toBe(SCRIPT);
	});

	it('sends files without a variant as they are, varying by encoding only if compressible', async () => {
		const noise = await get('/_app/immutable/chunks/noise.js', { 'accept-encoding': 'br, gzip' });
		expect(noise.headers['content-encoding']).toBeUndefined();
		expect(noise.headers.vary).toBe('Accept-Encoding');
		expect(noise.body).toEqual(await readFile(join(site, '_app', 'immutable', 'chunks', 'noise.js')));
		const png = await get('/logo.png', { 'accept-encoding': 'br, gzip' });
		expect(png.headers['content-encoding']).toBeUndefined();
		expect(png.headers.vary).toBeUndefined();
	});

	it('compresses the app page (the SPA fallback) too', async () => {
		for (const [accept, encoding] of [
			['br', 'br'],
			['gzip', 'gzip'],
			['identity', undefined]
		] as const) {
			const page = await get('/s/q3M8fW0xH1rJc2Zq9tYb1A', { 'accept-encoding': accept });
			expect(page.status).toBe(200);
			expect(page.headers['content-encoding']).toBe(encoding);
			expect(page.headers.vary).toBe('Accept-Encoding');
			expect(Number(page.headers['content-length'])).toBe(page.body.length);
			expect(decode(page).toString()).toBe(PAGE);
		}
	});

	it('never sends a variant older than its file (a build output edited by hand)', async () => {
		const path = join(site, '_app', 'immutable', 'chunks', 'app.js');
		const edited = SCRIPT.replace('word number 1"', 'word number one"');
		// Written after the variants, so newer than them.
		await writeFile(path, edited);
		try {
			const answer = await get('/_app/immutable/chunks/app.js', { 'accept-encoding': 'br, gzip' });
			expect(answer.headers['content-encoding']).toBeUndefined();
			expect(answer.body.toString()).toBe(edited);
		} finally {
			await writeFile(path, SCRIPT);
			await promisify(execFile)(process.execPath, ['scripts/precompress.mjs', site]);
		}
	});

	it('does not compress API answers', async () => {
		const answer = await get('/api/v1/config', { 'accept-encoding': 'br, gzip' });
		expect(answer.status).toBe(200);
		expect(answer.headers['content-encoding']).toBeUndefined();
		expect(JSON.parse(answer.body.toString())).toHaveProperty('maxShareBytes');
	});
});
