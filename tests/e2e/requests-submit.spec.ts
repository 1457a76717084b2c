import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import Database from 'better-sqlite3';
import type { Page } from '@playwright/test';
import { ApiClient } from '../../src/lib/api/client';
import { generateRequestKeyPair } from '../../src/lib/crypto';
import { inlineBackend } from '../../src/lib/transfer/crypto-backend';
import { DownloadSession } from '../../src/lib/transfer/download';
import {
	closeFileRequest,
	createFileRequest,
	listSubmissions,
	openSubmission,
	requestLink,
	type CreatedRequest
} from '../../src/lib/transfer/requests';
import { startHttpProxy } from './cut-proxy';
import { expect, restrictedTest, test, type SealdropServer } from './fixtures';
import { makeFile, type TestFile } from './helpers';
import { checkLaptopAndPhone, hold } from './layout';

const MiB = 1024 * 1024;
const PART_RE = /\/api\/v1\/shares\/[^/]+\/parts\/(\d+)$/;

/** A request made by the requester's Node client (its key pair stays in the test). */
function newRequest(sealdrop: SealdropServer, limits: { maxSubmissions?: number; maxSubmissionBytes?: number } = {}) {
	return createFileRequest(new ApiClient(sealdrop.url), {
		title: 'Signed contracts',
		message: 'Please send the signed contract\nand a copy of your ID.',
		expiresIn: sealdrop.config.expiryOptions.at(-1)!,
		maxSubmissions: limits.maxSubmissions ?? 5,
		maxSubmissionBytes: limits.maxSubmissionBytes ?? 100_000_000
	});
}

/** What the requester reads with its private key: each live submission's plaintext sha256 (files, then note). */
async function receivedHashes(server: { url: string }, created: CreatedRequest): Promise<string[]> {
	const api = new ApiClient(server.url);
	const hashes: string[] = [];
	for (const submission of await listSubmissions(api, created)) {
		const opened = await openSubmission(api, created.keys, submission);
		const hash = createHash('sha256');
		const sink = { write: async (c: Uint8Array) => void hash.update(c), close: async () => {}, abort: async () => {} };
		await new DownloadSession(opened, { api, crypto: inlineBackend }).save(0, opened.layout.plainSize, sink);
		hashes.push(hash.digest('hex'));
	}
	return hashes;
}

async function sha256Of(files: TestFile[], note: string): Promise<string> {
	const hash = createHash('sha256');
	for (const f of files) hash.update(await readFile(f.path));
	return hash.update(note).digest('hex');
}

/** The part numbers a proxy passed a 200 answer back for, in order. */
function acknowledged(answered: string[]): number[] {
	return answered.flatMap((line) => {
		const [status, method, path] = line.split(' ');
		const m = PART_RE.exec(path!);
		return status === '200' && method === 'PUT' && m ? [Number(m[1])] : [];
	});
}

/** Creates of submissions the page sent (none may be sent for a request it refuses). */
function submissionPosts(page: Page): string[] {
	const posts: string[] = [];
	page.on('request', (r) => {
		if (r.method() === 'POST' && r.url().includes('/submissions')) posts.push(r.url());
	});
	return posts;
}

test('a submitter sends two files and a note; only the requester’s private key opens them; the receipt can be saved', async ({
	browser,
	sealdrop
}, testInfo) => {
	const created = await newRequest(sealdrop);
	const files = await Promise.all([makeFile(testInfo.outputDir, 'contract.pdf', 300_000), makeFile(testInfo.outputDir, 'id.jpg', 5000)]);
	const note = 'Signed on page 3.';
	const context = await browser.newContext({ bypassCSP: true }); // axe-core is injected
	const page = await context.newPage();
	const sent: string[] = [];
	page.on('request', (r) => sent.push(r.url()));
	// The production server answers /r/<id> with the app (200), like its other routes.
	const answer = await page.goto(requestLink(sealdrop.url, created.id, created.secret));
	expect(answer?.status()).toBe(200);

	await expect(page.getByRole('heading', { level: 1, name: 'Signed contracts' })).toBeVisible();
	await expect(page.getByText('Please send the signed contract')).toBeVisible();
	const limits = page.getByRole('list', { name: 'Limits of this request' });
	await expect(limits).toContainText('Up to 100 MB per submission');
	await expect(limits).toContainText('Submissions left: 5 of 5');
	await expect(limits).toContainText('Open until');
	// No password, expiry or download limit: the request decides those.
	await expect(page.getByLabel('Password (optional)')).toHaveCount(0);
	await expect(page.getByLabel('Expires after')).toHaveCount(0);

	await page.getByLabel('Choose files', { exact: true }).setInputFiles(files.map((f) => f.path));
	await page.getByLabel(/^Message/).fill(note);
	await checkLaptopAndPhone(page, testInfo, 'request-open');
	await page.emulateMedia({ colorScheme: 'light' });
	await page.setViewportSize({ width: 1280, height: 800 });
	// Pause and Resume are the upload page's: a part held mid-way, paused, then let through.
	const release = await hold(context, '**/api/v1/shares/*/parts/*');
	await page.getByRole('button', { name: 'Encrypt and send' }).click();
	await release.arrived;
	await page.getByRole('button', { name: 'Pause' }).click();
	await expect(page.getByRole('button', { name: 'Resume' })).toBeFocused();
	await checkLaptopAndPhone(page, testInfo, 'request-paused');
	await page.emulateMedia({ colorScheme: 'light' });
	await page.setViewportSize({ width: 1280, height: 800 });
	release();
	await page.getByRole('button', { name: 'Resume' }).click();

	const receipt = page.getByRole('region', { name: 'Sent' });
	await expect(receipt.getByRole('heading', { name: 'Sent', exact: true })).toBeFocused({ timeout: 60_000 });
	await expect(receipt).toContainText('You cannot open or download this submission again');
	const id = (await page.getByTestId('receipt-id').textContent())!;
	await expect(limits).toContainText('Submissions left: 4 of 5');
	await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: sealdrop.url });
	await receipt.getByRole('button', { name: 'Copy receipt' }).click();
	await expect(receipt.getByText('Copied')).toBeVisible();
	expect(await page.evaluate(() => navigator.clipboard.readText())).toContain(`Submission: ${id}`);
	const download = page.waitForEvent('download');
	await receipt.getByRole('button', { name: 'Save receipt' }).click();
	const saved = await readFile((await (await download).path())!, 'utf8');
	expect(saved).toContain(`Submission: ${id}`);
	expect(saved).toContain(`Request: ${created.id}`);
	await checkLaptopAndPhone(page, testInfo, 'request-receipt');

	// The requester: one submission, the receipt's, that decrypts to the files and note sent.
	const [listed] = await listSubmissions(new ApiClient(sealdrop.url), created);
	expect(listed?.id).toBe(id);
	expect(await receivedHashes(sealdrop, created)).toEqual([await sha256Of(files, note)]);
	// rs never left the browser: no URL the page asked for carries it.
	expect(sent.filter((url) => url.includes(created.secret))).toEqual([]);
	await context.close();
});

test('a large submission cut off mid-way resumes after the page is reopened, sending only the missing parts', async ({
	browser,
	sealdrop
}, testInfo) => {
	const created = await newRequest(sealdrop);
	const file = await makeFile(testInfo.outputDir, 'footage.bin', 48 * MiB); // 6 parts of 8 MiB
	// Parts 2 and later never get through while the first page is open (the proxy sees the crypto
	// workers' requests too). Both pages use the proxy's origin, where the interrupted upload is kept.
	const proxy = await startHttpProxy(new URL(sealdrop.url), (method, path) => {
		const m = PART_RE.exec(path);
		return method === 'PUT' && m !== null && Number(m[1]) >= 2 ? 'hold' : 'forward';
	});
	const context = await browser.newContext();
	const first = await context.newPage();
	await first.goto(requestLink(proxy.url, created.id, created.secret));
	await first.getByLabel('Choose files', { exact: true }).setInputFiles(file.path);
	await first.getByRole('button', { name: 'Encrypt and send' }).click();
	await expect.poll(() => acknowledged(proxy.answered).length, { timeout: 60_000 }).toBe(2);
	await first.close({ runBeforeUnload: false });
	proxy.release();

	const second = await context.newPage();
	await second.goto(requestLink(proxy.url, created.id, created.secret));
	await expect(second.getByRole('heading', { name: 'Interrupted uploads' })).toBeVisible();
	await second.getByLabel(/Choose the files to resume footage\.bin/).setInputFiles(file.path);
	await expect(second.getByRole('heading', { name: 'Sent', exact: true })).toBeFocused({ timeout: 120_000 });

	// Each part once: never one the server had acknowledged.
	expect(acknowledged(proxy.answered).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
	expect(await receivedHashes(sealdrop, created)).toEqual([file.sha256]);
	await context.close();
	await proxy.close();
});

test('a request not reached for a network failure opens with Try again, and by itself when the browser is back online', async ({
	browser,
	sealdrop
}, testInfo) => {
	const created = await newRequest(sealdrop);
	const context = await browser.newContext({ bypassCSP: true });
	const page = await context.newPage();
	const info = `**/api/v1/requests/${created.id}`;
	await page.route(info, (route) => route.abort('internetdisconnected'));
	await page.goto(requestLink(sealdrop.url, created.id, created.secret));
	await expect(page.getByRole('heading', { level: 1 })).toHaveText('This request could not be opened');
	await expect(page.getByRole('alert')).toHaveText('Cannot reach the server. Check your connection and try again.');
	await expect(page.getByRole('heading', { level: 1 })).toBeFocused();
	await checkLaptopAndPhone(page, testInfo, 'submit-unreachable');
	await page.unroute(info);
	await page.getByRole('button', { name: 'Try again' }).click();
	await expect(page.getByRole('heading', { name: 'Signed contracts', level: 1 })).toBeVisible();
	await expect(page.getByRole('alert')).toHaveCount(0);

	// No click: the browser's online event opens it.
	await page.route(info, (route) => route.abort('internetdisconnected'));
	await page.reload();
	await expect(page.getByRole('button', { name: 'Try again' })).toBeVisible();
	await page.unroute(info);
	await context.setOffline(true);
	await context.setOffline(false);
	await expect(page.getByRole('heading', { name: 'Signed contracts', level: 1 })).toBeVisible();
	await context.close();
});

test('a public key swapped on the server is refused before anything is sent', async ({ browser, sealdrop }, testInfo) => {
	test.skip(sealdrop.config.database.kind !== 'sqlite', 'swaps the key in the SQLite file');
	const created = await newRequest(sealdrop);
	const other = await generateRequestKeyPair();
	const db = new Database((sealdrop.config.database as { file: string }).file);
	try {
		const changed = db.prepare('UPDATE requests SET public_key = ? WHERE id = ?').run(Buffer.from(other.publicKey), created.id);
		expect(changed.changes).toBe(1);
	} finally {
		db.close();
	}
	const context = await browser.newContext({ bypassCSP: true });
	const page = await context.newPage();
	const posts = submissionPosts(page);
	await page.goto(requestLink(sealdrop.url, created.id, created.secret));
	await expect(page.getByRole('heading', { level: 1, name: 'This request cannot take files' })).toBeFocused();
	await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'REQUEST_KEY_MISMATCH');
	await expect(page.getByRole('alert')).toContainText('a different key for this request');
	await expect(page.getByLabel('Choose files', { exact: true })).toHaveCount(0);
	await checkLaptopAndPhone(page, testInfo, 'request-key-mismatch');
	expect(posts).toEqual([]);
	expect(await listSubmissions(new ApiClient(sealdrop.url), created)).toEqual([]);
	await context.close();
});

test('over-size, full, closed and missing requests say so, and take nothing', async ({ browser, sealdrop }, testInfo) => {
	const full = await newRequest(sealdrop, { maxSubmissions: 1 });
	const closed = await newRequest(sealdrop);
	await closeFileRequest(new ApiClient(sealdrop.url), closed);
	const context = await browser.newContext({ bypassCSP: true });
	const page = await context.newPage();
	const posts = submissionPosts(page);

	// Over the request's size: said before anything is made.
	const small = await newRequest(sealdrop, { maxSubmissionBytes: 10_000 });
	await page.goto(requestLink(sealdrop.url, small.id, small.secret));
	await page.getByLabel('Choose files', { exact: true }).setInputFiles((await makeFile(testInfo.outputDir, 'big.bin', 20_000)).path);
	await expect(page.getByRole('status').filter({ hasText: 'This request accepts up to 10 kB per submission.' })).toBeVisible();
	await expect(page.getByRole('button', { name: 'Encrypt and send' })).toBeDisabled();
	await checkLaptopAndPhone(page, testInfo, 'request-too-large');
	expect(posts).toEqual([]);

	// The only slot goes to a first submitter.
	await page.goto(requestLink(sealdrop.url, full.id, full.secret));
	await page.getByLabel(/^Message/).fill('Just a note.');
	await page.getByRole('button', { name: 'Encrypt and send' }).click();
	await expect(page.getByRole('heading', { name: 'Sent', exact: true })).toBeFocused({ timeout: 60_000 });
	await expect(page.getByRole('button', { name: 'Send more files' })).toHaveCount(0);
	expect(posts).toHaveLength(1);

	await page.goto(requestLink(sealdrop.url, full.id, full.secret));
	await page.reload(); // a fresh page, not the one that sent
	await expect(page.getByRole('alert')).toHaveText('This request has received all the submissions it allows.');
	await checkLaptopAndPhone(page, testInfo, 'request-full');
	await page.goto(requestLink(sealdrop.url, closed.id, closed.secret));
	await expect(page.getByRole('alert')).toHaveText('The requester has closed this request: it takes no more files.');
	await page.goto(requestLink(sealdrop.url, 'A'.repeat(22), closed.secret));
	await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'REQUEST_NOT_FOUND');
	expect(posts).toHaveLength(1);
	expect(await listSubmissions(new ApiClient(sealdrop.url), closed)).toEqual([]);
	await context.close();
});

test('keyboard only: choose a file, write a note, send, reach the receipt', async ({ browser, sealdrop }, testInfo) => {
	const created = await newRequest(sealdrop);
	const file = await makeFile(testInfo.outputDir, 'keys.txt', 1000);
	const page = await browser.newPage();
	await page.goto(requestLink(sealdrop.url, created.id, created.secret));
	const choose = page.getByLabel('Choose files', { exact: true });
	await expect(choose).toBeVisible();
	// From the page's start, Tab reaches the file input; Space opens the chooser.
	for (let i = 0; i < 20 && !(await choose.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
	await expect(choose).toBeFocused();
	const chooser = page.waitForEvent('filechooser');
	await page.keyboard.press('Space');
	await (await chooser).setFiles(file.path);
	await expect(page.getByText('keys.txt')).toBeVisible();
	const message = page.getByLabel(/^Message/);
	for (let i = 0; i < 10 && !(await message.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
	await expect(message).toBeFocused();
	await page.keyboard.type('Typed, not clicked.');
	await page.keyboard.press('Tab');
	await expect(page.getByRole('button', { name: 'Encrypt and send' })).toBeFocused();
	await page.keyboard.press('Enter');
	await expect(page.getByRole('heading', { name: 'Sent', exact: true })).toBeFocused({ timeout: 60_000 });
	expect(await receivedHashes(sealdrop, created)).toEqual([
		createHash('sha256')
			.update(await readFile(file.path))
			.update('Typed, not clicked.')
			.digest('hex')
	]);
	await page.close();
});

test('in Arabic: the page reads right to left, the requester’s words keep their own direction, and a submission goes through', async ({
	browser,
	sealdrop
}, testInfo) => {
	const created = await newRequest(sealdrop);
	const context = await browser.newContext({ locale: 'ar-EG', bypassCSP: true });
	const page = await context.newPage();
	await page.goto(requestLink(sealdrop.url, created.id, created.secret));
	await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
	await expect(page.getByText('طلب ملفات', { exact: true })).toBeVisible();
	await expect(page.getByRole('heading', { level: 1, name: 'Signed contracts' })).toHaveAttribute('dir', 'auto');
	await page.locator('input[type=file][multiple]').setInputFiles(await makeFile(testInfo.outputDir, 'عقد.bin', 2000).then((f) => f.path));
	await checkLaptopAndPhone(page, testInfo, 'request-open-ar');
	await page.getByRole('button', { name: 'شفّر وأرسل' }).click();
	await expect(page.getByRole('heading', { name: 'أُرسل', exact: true })).toBeFocused({ timeout: 60_000 });
	await checkLaptopAndPhone(page, testInfo, 'request-receipt-ar');
	expect(await listSubmissions(new ApiClient(sealdrop.url), created)).toHaveLength(1);
	await context.close();
});

restrictedTest(
	'restricted server: a request made by an account takes files from a visitor who is not signed in',
	async ({ browser, restricted }, testInfo) => {
		// The requester: an account with an API token (creating a request needs one here).
		const userId = randomBytes(12).toString('base64url');
		const added = await restricted.meta.accounts.addUser({
			id: userId,
			name: `requester-${userId}`,
			passwordHash: 'unused',
			createdAt: Date.now(),
			quotaBytes: null,
			quotaShares: null,
			maxExpiry: null
		});
		expect(added).toBe(true);
		const token = randomBytes(32);
		await restricted.meta.accounts.createApiToken({
			id: randomBytes(8).toString('base64url'),
			userId,
			name: 'e2e',
			hash: createHash('sha256').update(token).digest(),
			createdAt: Date.now()
		});
		const asRequester = new ApiClient(restricted.url, (input, init) => {
			const headers = new Headers(init?.headers);
			headers.set('authorization', `Bearer ${token.toString('base64url')}`);
			return fetch(input, { ...init, headers });
		});
		const created = await createFileRequest(asRequester, {
			title: 'Support logs',
			message: '',
			expiresIn: restricted.config.expiryOptions[0]!,
			maxSubmissions: 3,
			maxSubmissionBytes: 1_000_000
		});

		const file = await makeFile(testInfo.outputDir, 'app.log', 20_000);
		const context = await browser.newContext();
		const page = await context.newPage();
		await page.goto(requestLink(restricted.url, created.id, created.secret));
		await expect(page.getByRole('heading', { level: 1, name: 'Support logs' })).toBeVisible();
		await expect(page.getByTestId('login-needed')).toHaveCount(0);
		await page.getByLabel('Choose files', { exact: true }).setInputFiles(file.path);
		await page.getByRole('button', { name: 'Encrypt and send' }).click();
		await expect(page.getByRole('heading', { name: 'Sent', exact: true })).toBeFocused({ timeout: 60_000 });
		expect(await receivedHashes(restricted, created)).toEqual([file.sha256]);
		await context.close();
	}
);

test('the network drops mid-submission: Reconnecting…, then it carries on by itself when back online', async ({
	browser,
	sealdrop
}, testInfo) => {
	const created = await newRequest(sealdrop);
	const file = await makeFile(testInfo.outputDir, 'tunnel.bin', 24 * MiB + 7); // 4 parts of 8 MiB
	const context = await browser.newContext();
	const page = await context.newPage();
	// Part 0 goes through; the others wait until the network is gone, then fail as a dropped one does.
	let offline = false;
	let goOffline = () => {};
	const wentOffline = new Promise<void>((resolve) => (goOffline = resolve));
	await context.route(PART_RE, async (route) => {
		if (Number(PART_RE.exec(route.request().url())![1]) >= 1) await wentOffline;
		if (offline) return route.abort('internetdisconnected');
		return route.continue();
	});
	const firstPart = page.waitForResponse((r) => PART_RE.test(r.url()) && r.status() === 200);
	await page.goto(requestLink(sealdrop.url, created.id, created.secret));
	await page.getByLabel('Choose files', { exact: true }).setInputFiles(file.path);
	await page.getByRole('button', { name: 'Encrypt and send' }).click();
	await firstPart;

	offline = true;
	await context.setOffline(true);
	goOffline();
	await expect(page.getByRole('region', { name: 'Your files' }).getByText('Reconnecting…', { exact: true })).toBeVisible();
	await expect(page.getByRole('alert')).toHaveCount(0);

	offline = false;
	await context.setOffline(false);
	await expect(page.getByRole('heading', { name: 'Sent', exact: true })).toBeFocused({ timeout: 120_000 });
	expect(await receivedHashes(sealdrop, created)).toEqual([file.sha256]);
	await context.close();
});
