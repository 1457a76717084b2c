/**
 * Bench phase "first-paint": what the upload page and the recipient page of a real share load
 * before they are usable, on a phone-class profile, against the production server (brotli and
 * gzip as it serves them). Runs on its own: `npm run bench -- --only first-paint`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.ts';
import { startProductionServer } from './production-server.ts';

/** Chromium DevTools' throttling, as a mid-range phone on a good 4G cell would load the page. */
export const PHONE_PROFILE = {
	name: 'phone-4G (Chromium CPU ×4; 9 Mbit/s down, 1.5 Mbit/s up, 85 ms RTT)',
	cpuRate: 4,
	network: { offline: false, latency: 85, downloadThroughput: (9e6 / 8) | 0, uploadThroughput: (1.5e6 / 8) | 0 }
};
export const TARGETS = { kb: 60, ms: 1500 };

/**
 * "Usable", in the page's own terms: the moment the app has rendered the control a visitor
 * came for, enabled, so that using it does something (the SPA renders only in the browser: what
 * is in the DOM is hydrated).
 */
const USABLE = {
	upload: {
		definition: 'the file picker (input[type=file]) is rendered and enabled (the app has loaded the server settings)',
		check: `(() => { const i = document.querySelector('input[type=file]'); return !!i && !i.disabled; })()`
	},
	recipient: {
		definition: 'the "Download" button is rendered and enabled (share info fetched, metadata decrypted, file listed)',
		check: `[...document.querySelectorAll('button')].some((b) => b.textContent.trim() === 'Download' && !b.disabled)`
	}
} as const;
type PageName = keyof typeof USABLE;

interface Load {
	usable_ms: number;
	requests: number;
	js_css_bytes: number;
	js_css_decoded_bytes: number;
	all_bytes: number;
	files: { name: string; bytes: number }[];
}

export interface FirstPaintResult {
	profile: string;
	accept_encoding: string;
	pages: Record<PageName, Load & { definition: string }>;
}

/**
 * Records, in the page, the first moment the usable check holds (checked on every DOM change),
 * and what Resource Timing says had been loaded by then. A string: tsx would wrap a function
 * passed here in a helper the page does not have.
 */
const watchUsable = (check: string) => `
	(() => {
		const test = () => { try { return ${check}; } catch { return false; } };
		const done = () => {
			const at = performance.now();
			const loaded = performance.getEntriesByType('resource').filter((e) => e.responseEnd <= at)
				.map((e) => ({ name: new URL(e.name).pathname, type: e.initiatorType, bytes: e.encodedBodySize, decoded: e.decodedBodySize, transfer: e.transferSize }));
			const nav = performance.getEntriesByType('navigation')[0];
			window.__usable = { at, loaded, navBytes: nav ? nav.encodedBodySize : 0 };
		};
		const observer = new MutationObserver(() => { if (!window.__usable && test()) { observer.disconnect(); done(); } });
		observer.observe(document, { subtree: true, childList: true, attributes: true });
	})();`;

async function measureLoad(browser: Browser, url: string, page: PageName, acceptEncoding?: string): Promise<Load> {
	const context = await browser.createBrowserContext();
	try {
		const tab = await context.newPage();
		const cdp = await tab.createCDPSession();
		await cdp.send('Network.enable');
		await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
		await cdp.send('Network.emulateNetworkConditions', PHONE_PROFILE.network);
		await cdp.send('Emulation.setCPUThrottlingRate', { rate: PHONE_PROFILE.cpuRate });
		if (acceptEncoding) await cdp.send('Network.setExtraHTTPHeaders', { headers: { 'Accept-Encoding': acceptEncoding } });
		await tab.evaluateOnNewDocument(watchUsable(USABLE[page].check));
		await tab.goto(url);
		const handle = await tab.waitForFunction('window.__usable', { polling: 100, timeout: 60_000 });
		const usable = (await handle.jsonValue()) as {
			at: number;
			navBytes: number;
			loaded: { name: string; type: string; bytes: number; decoded: number }[];
		};
		const scripts = usable.loaded.filter((e) => /\.(?:m?js|css)$/.test(e.name));
		return {
			usable_ms: usable.at,
			// The page itself, then every resource finished by the usable moment (API calls too).
			requests: 1 + usable.loaded.length,
			js_css_bytes: scripts.reduce((sum, e) => sum + e.bytes, 0),
			js_css_decoded_bytes: scripts.reduce((sum, e) => sum + e.decoded, 0),
			all_bytes: usable.navBytes + usable.loaded.reduce((sum, e) => sum + e.bytes, 0),
			files: scripts.map((e) => ({ name: e.name.replace(/^\/_app\/immutable\//, ''), bytes: e.bytes }))
		};
	} finally {
		await context.close();
	}
}

/** A small share made through the real upload page, unthrottled: the recipient page needs one. */
async function makeShare(browser: Browser, base: string, dir: string): Promise<string> {
	const file = join(dir, 'first-paint.txt');
	await writeFile(file, randomBytes(50_000).toString('base64'));
	const context = await browser.createBrowserContext();
	try {
		const page = await context.newPage();
		await page.goto(base);
		const input = (await page.waitForSelector('input[type=file]')) as ElementHandle<HTMLInputElement>;
		await input.uploadFile(file);
		// The picked file is read and checked before it joins the share: a click before that sends nothing.
		await page.waitForFunction(`document.body.innerText.includes('first-paint.txt')`, { polling: 'mutation', timeout: 60_000 });
		await clickButton(page, 'Encrypt and upload');
		const link = await page.waitForFunction(
			`(() => { const l = [...document.querySelectorAll('label')].find((l) => l.textContent.trim() === 'Share link');
				return l ? document.getElementById(l.htmlFor)?.value : undefined; })()`,
			{ polling: 'mutation', timeout: 60_000 }
		);
		return (await link.jsonValue()) as string;
	} finally {
		await context.close();
	}
}

async function clickButton(page: Page, name: string): Promise<void> {
	await page.evaluate(`(() => {
		const b = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === ${JSON.stringify(name)});
		if (!b) throw new Error('no button ${name}');
		b.click();
	})()`);
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Medians of `runs` cold loads of each page (fresh context, cache off). BENCH_ACCEPT_ENCODING
 * overrides what the browser asks for (`identity` shows what the server sent before it compressed).
 */
export async function firstPaintPhase(runs = 3): Promise<FirstPaintResult> {
	const work = await mkdtemp(join(tmpdir(), 'sealdrop-first-paint-'));
	const server = await startProductionServer(join(work, 'data'), { SEALDROP_RATE_LIMIT_CREATE: 'off' });
	const browser = await puppeteer.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
	const acceptEncoding = process.env.BENCH_ACCEPT_ENCODING;
	try {
		const link = await makeShare(browser, server.url, work);
		const pages = {} as FirstPaintResult['pages'];
		for (const [name, url] of [
			['upload', server.url],
			['recipient', link]
		] as const) {
			const loads: Load[] = [];
			for (let i = 0; i < runs; i++) loads.push(await measureLoad(browser, url, name, acceptEncoding));
			const m = (key: 'usable_ms' | 'requests' | 'js_css_bytes' | 'js_css_decoded_bytes' | 'all_bytes') => median(loads.map((l) => l[key]));
			pages[name] = {
				definition: USABLE[name].definition,
				usable_ms: m('usable_ms'),
				requests: m('requests'),
				js_css_bytes: m('js_css_bytes'),
				js_css_decoded_bytes: m('js_css_decoded_bytes'),
				all_bytes: m('all_bytes'),
				files: loads[0]!.files
			};
		}
		const result = { profile: PHONE_PROFILE.name, accept_encoding: acceptEncoding ?? "Chromium's own (br, gzip, …)", pages };
		printFirstPaint(result, runs);
		return result;
	} finally {
		await browser.close();
		await server.stop();
		await rm(work, { recursive: true, force: true });
	}
}

function printFirstPaint(result: FirstPaintResult, runs: number): void {
	const kb = (bytes: number) => (bytes / 1000).toFixed(1);
	console.log(`\nFirst paint — ${result.profile}; cold cache; Accept-Encoding: ${result.accept_encoding}; medians of ${runs}`);
	console.table(
		Object.fromEntries(
			Object.entries(result.pages).map(([name, p]) => [
				name,
				{
					'JS+CSS kB sent': kb(p.js_css_bytes),
					'target kB': TARGETS.kb,
					'JS+CSS kB decoded': kb(p.js_css_decoded_bytes),
					'all kB sent': kb(p.all_bytes),
					requests: p.requests,
					'usable ms': p.usable_ms.toFixed(0),
					'target ms': TARGETS.ms,
					met: p.js_css_bytes <= TARGETS.kb * 1000 && p.usable_ms <= TARGETS.ms ? 'yes' : 'no'
				}
			])
		)
	);
	for (const [name, p] of Object.entries(result.pages)) {
		console.log(`usable (${name}): ${p.definition}`);
		console.log(`  JS/CSS before usable: ${p.files.map((f) => `${f.name} ${kb(f.bytes)}`).join(', ')}`);
	}
}
