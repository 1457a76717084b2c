import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, type BrowserContext, type Page, type TestInfo } from '@playwright/test';

export const VIEWPORTS = [
	{ name: 'phone', width: 390, height: 844 },
	{ name: 'laptop', width: 1280, height: 800 }
] as const;
export const THEMES = ['light', 'dark'] as const;

/** The narrowest a file name may be laid out: below this a name stacks a few letters per line. */
export const MIN_NAME_WIDTH = 120;

/**
 * What is wrong with the page's layout right now: the page scrolling sideways, an element past the
 * viewport's edge or sticking out of its card, a card touching the screen's edge, or a file name
 * (in a file list or a My uploads title) squeezed narrower than MIN_NAME_WIDTH.
 */
export async function layoutProblems(page: Page): Promise<string[]> {
	return page.evaluate((minName) => {
		const problems: string[] = [];
		const root = document.documentElement;
		const vw = root.clientWidth;
		const describe = (el: Element) =>
			`<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}> "${(el.textContent ?? '').trim().slice(0, 40)}"`;
		// Content inside a scrolling or clipping box (a text preview, a visually hidden label) may be wider than it.
		const clipped = (el: Element) => {
			for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
				if (getComputedStyle(p).overflowX !== 'visible') return true;
			}
			return false;
		};
		if (root.scrollWidth > vw) problems.push(`the page scrolls sideways: ${root.scrollWidth} px wide in a ${vw} px viewport`);
		for (const el of document.body.querySelectorAll('*')) {
			const r = el.getBoundingClientRect();
			if (r.width <= 1 || r.height <= 1 || getComputedStyle(el).visibility === 'hidden' || clipped(el)) continue;
			if (r.left < -0.5 || r.right > vw + 0.5) problems.push(`${describe(el)} overflows the viewport (${r.left}–${r.right} of ${vw})`);
			const card = el.parentElement?.closest('.card');
			if (card) {
				const c = card.getBoundingClientRect();
				if (r.left < c.left - 0.5 || r.right > c.right + 0.5) problems.push(`${describe(el)} sticks out of its card`);
			}
		}
		for (const card of document.querySelectorAll('.card')) {
			const c = card.getBoundingClientRect();
			if (c.width > 0 && (c.left < 8 || c.right > vw - 8)) problems.push(`${describe(card)} touches the screen edge`);
		}
		for (const name of document.querySelectorAll('ul.files .name, [data-testid=upload-entry] h2')) {
			const width = name.getBoundingClientRect().width;
			if (width < minName) problems.push(`the name "${name.textContent}" is laid out ${width} px wide`);
		}
		return problems;
	}, MIN_NAME_WIDTH);
}

/** Every axe-core violation on the page, of any impact, one line each. */
export async function axeViolations(page: Page): Promise<string[]> {
	const results = await new AxeBuilder({ page }).analyze();
	return results.violations.map(
		(v) =>
			`${v.id} (${v.impact ?? 'unknown'}): ${v.help} — ${v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join(' | ')}`
	);
}

/**
 * Checks the layout and accessibility (axe-core) of the page's current state, and writes its
 * screenshot to test-results/screenshots/<theme>-<viewport>/<state>.png for review (test-results/
 * is ignored by git). axe-core is injected, so the page's context needs `bypassCSP: true`.
 */
export async function checkState(page: Page, testInfo: TestInfo, folder: string, state: string): Promise<void> {
	const dir = join(testInfo.project.outputDir, 'screenshots', folder);
	await mkdir(dir, { recursive: true });
	await page.screenshot({ path: join(dir, `${state}.png`), fullPage: true });
	expect(await layoutProblems(page), `layout of ${state} (${folder})`).toEqual([]);
	expect(await axeViolations(page), `axe-core on ${state} (${folder})`).toEqual([]);
	// The narrowest phone in common use, too.
	const size = page.viewportSize();
	if (size && size.width < 400) {
		await page.setViewportSize({ width: 360, height: size.height });
		await page.screenshot({ path: join(dir, `${state}-360.png`), fullPage: true });
		expect(await layoutProblems(page), `layout of ${state} (${folder}, 360 px)`).toEqual([]);
		await page.setViewportSize(size);
	}
}

/** checkState for one state at 1280 px light, then 390 px light and dark (the page is left there). */
export async function checkLaptopAndPhone(page: Page, testInfo: TestInfo, state: string): Promise<void> {
	// Light first, whatever an earlier tour of the same page left (it ends dark).
	await page.emulateMedia({ colorScheme: 'light' });
	await page.setViewportSize({ width: 1280, height: 800 });
	await checkState(page, testInfo, 'light-laptop', state);
	await page.setViewportSize({ width: 390, height: 844 });
	await checkState(page, testInfo, 'light-phone', state);
	await page.emulateMedia({ colorScheme: 'dark' });
	await checkState(page, testInfo, 'dark-phone', state);
}

/**
 * Holds every request matching `url` until the returned function is called (a transfer caught
 * mid-way); later ones pass straight through. `arrived` resolves when the first one is held.
 */
export async function hold(context: BrowserContext, url: string): Promise<(() => void) & { arrived: Promise<void> }> {
	let release = () => {};
	let arrive = () => {};
	const gate = new Promise<void>((resolve) => (release = resolve));
	const arrived = new Promise<void>((resolve) => (arrive = resolve));
	await context.route(url, async (route) => {
		arrive();
		await gate;
		// A request the page gave up on meanwhile (Pause, Cancel) has nothing left to continue.
		await route.continue().catch(() => {});
	});
	return Object.assign(() => release(), { arrived });
}
