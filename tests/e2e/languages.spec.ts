import type { Browser, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { makeFile } from './helpers';

/** The decimal separator the page's own Intl uses for its browser locale. */
const decimalSeparator = (page: Page) =>
	page.evaluate(() => new Intl.NumberFormat(navigator.language).formatToParts(1.5).find((p) => p.type === 'decimal')?.value ?? '');

/** Uploads one 1.5 MB file through the page in whatever language it shows, and returns the link. */
async function upload(page: Page, url: string, file: string, button: string): Promise<string> {
	await page.goto(url);
	// The Choose files input (the other one picks a folder), whatever its label says in this language.
	await page.locator('input[type=file][multiple]').setInputFiles(file);
	await page.getByRole('button', { name: button }).click();
	// The finished share's link field, not the early one shown while the upload runs.
	const link = page.locator('input[readonly]').and(page.locator(':not([data-testid=early-link] *)')).first();
	await expect(link).toHaveValue(/\/s\//, { timeout: 60_000 });
	return link.inputValue();
}

async function shot(browser: Browser, locale: string, url: string, name: string) {
	for (const width of [360, 1280]) {
		const context = await browser.newContext({ locale, viewport: { width, height: 900 }, colorScheme: width === 360 ? 'dark' : 'light' });
		const page = await context.newPage();
		await page.goto(url);
		await expect(page.locator('h1')).toBeVisible();
		await page.screenshot({ path: test.info().outputPath(`${name}-${width}.png`), fullPage: true });
		await context.close();
	}
}

test.describe('languages', () => {
	test('a German browser gets German pages with German numbers', async ({ browser, sealdrop }, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'bericht.bin', 1_500_000);
		const context = await browser.newContext({ locale: 'de-DE' });
		const page = await context.newPage();
		await page.goto(sealdrop.url);
		await expect(page.locator('html')).toHaveAttribute('lang', 'de');
		await expect(page.locator('html')).toHaveAttribute('dir', 'ltr');
		await expect(page.getByRole('heading', { level: 1 })).toHaveText('Dateien senden, Ende-zu-Ende-verschlüsselt');
		await page.locator('input[type=file][multiple]').setInputFiles(file.path);
		// The size with a decimal comma, as German writes it.
		await expect(page.getByText('1 Datei, 1,5 MB')).toBeVisible();
		const link = await upload(page, sealdrop.url, file.path, 'Verschlüsseln und hochladen');

		await page.goto(link);
		await expect(page.getByRole('heading', { level: 1 })).toHaveText('Verschlüsselte Dateien für Sie');
		await expect(page.getByRole('list', { name: 'Dateien' })).toContainText('1,5 MB');
		// Expiry both relative and as a local date and time.
		await expect(page.getByTestId('share-status')).toContainText(/läuft in \d+ \w+ ab \(\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}\)/);
		await expect(page.getByTestId('share-status')).toContainText('noch 1 Download');
		await context.close();
	});

	test('an Arabic browser gets Arabic pages, right to left, with its own numbers', async ({ browser, sealdrop }, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'report.bin', 1_500_000);
		const context = await browser.newContext({ locale: 'ar-EG' });
		const page = await context.newPage();
		await page.goto(sealdrop.url);
		await expect(page.locator('html')).toHaveAttribute('lang', 'ar');
		await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
		await page.locator('input[type=file][multiple]').setInputFiles(file.path);
		const separator = await decimalSeparator(page);
		expect(separator).toBe('٫'); // the Arabic decimal separator, not "." or ","
		await expect(page.getByText('ملف واحد، ١٫٥ م.ب')).toBeVisible();
		const link = await upload(page, sealdrop.url, file.path, 'شفّر وارفع');

		await page.goto(link);
		await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
		await expect(page.getByRole('heading', { level: 1 })).toHaveText('ملفات مشفّرة لك');
		await expect(page.getByRole('list', { name: 'الملفات' })).toContainText('١٫٥');
		await expect(page.getByRole('button', { name: 'تنزيل', exact: true })).toBeVisible();
		await context.close();

		await shot(browser, 'ar-EG', sealdrop.url, 'upload-ar');
		await shot(browser, 'ar-EG', link, 'receive-ar');
	});

	test('the switcher changes the language and keeps it across a reload', async ({ browser, sealdrop }) => {
		const context = await browser.newContext({ locale: 'en-US' });
		const page = await context.newPage();
		await page.goto(sealdrop.url);
		await expect(page.getByRole('button', { name: 'Encrypt and upload' })).toBeVisible();
		const language = page.getByRole('combobox', { name: 'Language' });
		await expect(language).toHaveValue('en');

		await language.selectOption({ label: 'Deutsch' });
		await expect(page.getByRole('button', { name: 'Verschlüsseln und hochladen' })).toBeVisible();
		await expect(page.locator('html')).toHaveAttribute('lang', 'de');
		await page.reload();
		await expect(page.getByRole('button', { name: 'Verschlüsseln und hochladen' })).toBeVisible();
		await expect(page.getByRole('combobox', { name: 'Sprache' })).toHaveValue('de');

		await page.getByRole('combobox', { name: 'Sprache' }).selectOption({ label: 'العربية' });
		await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
		await expect(page.getByRole('button', { name: 'شفّر وارفع' })).toBeVisible();
		await context.close();
	});
});
