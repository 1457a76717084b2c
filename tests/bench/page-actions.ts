import type { Page } from 'puppeteer-core';

// The few page actions the bench's browser phases need (puppeteer, found by visible text as a user would).

export async function clickButton(page: Page, name: string): Promise<void> {
	await page.evaluate((name) => {
		const button = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === name);
		if (!button) throw new Error(`no button ${name}`);
		button.click();
	}, name);
}

export async function waitForButton(page: Page, name: string): Promise<void> {
	await page.waitForFunction((name) => [...document.querySelectorAll('button')].some((b) => b.textContent?.trim() === name), {}, name);
}

/** The value of the text field labelled `label`, once it appears; checked on DOM changes, not polled. */
export async function textboxValue(page: Page, label: string): Promise<string> {
	const handle = await page.waitForFunction(
		(label) => {
			const id = [...document.querySelectorAll('label')].find((l) => l.textContent?.trim() === label)?.htmlFor;
			return id ? (document.getElementById(id) as HTMLInputElement | null)?.value : undefined;
		},
		{ polling: 'mutation', timeout: 0 },
		label
	);
	return (await handle.jsonValue()) as string;
}
