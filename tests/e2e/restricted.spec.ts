import { randomBytes } from 'node:crypto';
import { hashPassword } from '../../server/accounts/passwords';
import { expect, restrictedTest as test } from './fixtures';
import { makeFile } from './helpers';

const PASSWORD = 'lantern meadow copper 58';

test('restricted mode: a logged-out visitor is shown how to log in instead of the form; log in through the UI and upload', async ({
	browser,
	restricted
}, testInfo) => {
	await restricted.meta.accounts.addUser({
		id: randomBytes(12).toString('base64url'),
		name: 'alice',
		passwordHash: await hashPassword(PASSWORD),
		createdAt: Date.now(),
		quotaBytes: null,
		quotaShares: null,
		maxExpiry: 3600
	});
	const file = await makeFile(testInfo.outputDir, 'plan.txt', 4000);
	const context = await browser.newContext();
	const page = await context.newPage();

	// Logged out: the page says what this server is and how to get in, with no form that would be refused after the click.
	await page.goto(restricted.url);
	const loginNeeded = page.getByTestId('login-needed');
	await expect(loginNeeded.getByRole('heading', { name: 'Log in to share files' })).toBeVisible();
	await expect(loginNeeded).toContainText(`Sealdrop at ${new URL(restricted.url).host} shares files end-to-end encrypted`);
	await expect(loginNeeded).toContainText('only from signed-in users');
	await expect(page.getByLabel('Choose files', { exact: true })).toHaveCount(0);
	await expect(page.getByRole('button', { name: 'Encrypt and upload' })).toHaveCount(0);

	// A wrong password says so; the right one logs in.
	await loginNeeded.getByRole('link', { name: 'Log in' }).click();
	await page.getByLabel('User name').fill('alice');
	await page.getByLabel('Password', { exact: true }).fill('not the password');
	await page.getByRole('button', { name: 'Log in' }).click();
	await expect(page.getByRole('alert')).toContainText('Wrong user name or password');
	await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
	await page.getByRole('button', { name: 'Log in' }).click();
	await expect(page.getByText('Signed in as')).toContainText('alice');

	// The session is an HttpOnly cookie the page's scripts cannot read.
	const cookies = await context.cookies();
	expect(cookies.map((c) => [c.name, c.httpOnly, c.secure, c.sameSite])).toEqual([['__Host-sealdrop_session', true, true, 'Strict']]);
	expect(await page.evaluate(() => document.cookie)).toBe('');

	// The account's longest expiry (1 hour) limits the choices offered.
	const expiries = await page.getByLabel('Expires after').locator('option').allTextContents();
	expect(expiries.length).toBeGreaterThan(0);
	expect(expiries).not.toContain('1 day');

	await page.getByLabel('Choose files', { exact: true }).setInputFiles([file.path]);
	await page.getByRole('button', { name: 'Encrypt and upload' }).click();
	await expect(page.getByLabel('Share link')).toBeVisible({ timeout: 60_000 });
	const link = await page.getByLabel('Share link').inputValue();

	// Downloading needs no account: a fresh browser context opens the link.
	const recipient = await browser.newContext();
	const other = await recipient.newPage();
	await other.goto(link);
	await expect(other.getByRole('list', { name: 'Files' })).toContainText('plan.txt');
	await recipient.close();

	// An API token made in the account page (linked from the menu in restricted mode), then revoked there.
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
	await page.getByLabel('Name of a new token').fill('backup script');
	await page.getByRole('button', { name: 'Create token' }).click();
	await expect(page.getByLabel(/New token “backup script”/)).toHaveValue(/^[A-Za-z0-9_-]{43}$/);
	await page.getByRole('button', { name: 'Revoke backup script' }).click();
	await expect(page.getByTestId('no-tokens')).toBeVisible();

	// Logging out ends the session: the upload page asks for a login again.
	await page.getByRole('button', { name: 'Log out' }).click();
	await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
	await page.goto(restricted.url);
	await expect(page.getByTestId('login-needed')).toBeVisible();
	await context.close();
});
