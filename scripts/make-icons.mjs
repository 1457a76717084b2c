// Makes the app's install icons (static/icons/) from static/favicon.svg with headless Chromium:
// `node scripts/make-icons.mjs`. The PNGs are committed; run this again only when the logo changes.
// "any" icons are the logo as it is; "maskable" ones put it inside the central safe zone (a circle
// of 80 % of the side) on a full-bleed background, because launchers crop them to their own shape.
import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright';

const logo = readFileSync(new URL('../static/favicon.svg', import.meta.url), 'utf8');
const inner = logo.replace(/^<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '');
const BACKGROUND = '#1f4f8f'; // the logo's own background colour

// The logo's rounded square without its corners, scaled to 56 % and centred: all of it lies
// inside the safe circle (radius 40 %).
const maskable = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" fill="${BACKGROUND}"/><g transform="translate(7.04 7.04) scale(0.56)">${inner.replace(/rx="7"/, 'rx="0"')}</g></svg>`;
writeFileSync(new URL('../static/icons/maskable.svg', import.meta.url), maskable + '\n');

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
	for (const [name, svg] of [
		['icon', logo],
		['maskable', maskable]
	]) {
		for (const size of [192, 512]) {
			const page = await browser.newPage({ viewport: { width: size, height: size } });
			const src = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
			await page.setContent(
				`<style>html,body{margin:0;background:transparent}img{display:block}</style><img src="${src}" width="${size}" height="${size}">`
			);
			await page.locator('img').evaluate((img) => img.decode());
			const png = await page.screenshot({ omitBackground: true });
			writeFileSync(new URL(`../static/icons/${name}-${size}.png`, import.meta.url), png);
			await page.close();
		}
	}
} finally {
	await browser.close();
}
