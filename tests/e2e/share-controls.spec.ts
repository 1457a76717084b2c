import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { promisify } from 'node:util';
import jsQR from 'jsqr';
import type { Page } from '@playwright/test';
import { attemptKey, DEFAULT_ATTEMPT_LIMITS } from '../../server/shares/attempts';
import { openSqliteMetaStore } from '../../server/stores/meta/sqlite';
import { expect, test } from './fixtures';
import { collectDownloads, makeFile, sha256File, uploadThroughUi, withoutFilePickers } from './helpers';

const run = promisify(execFile);

interface Info {
	downloads: number;
	downloadsLeft: number;
	expiresAt: number;
}

function shareIdOf(link: string): string {
	return new URL(link).pathname.slice('/s/'.length);
}

async function publicInfo(base: string, link: string): Promise<{ status: number; body: Info & { error?: { code: string } } }> {
	const response = await fetch(`${base}/api/v1/shares/${shareIdOf(link)}`);
	return { status: response.status, body: (await response.json()) as Info & { error?: { code: string } } };
}

/** The API paths a page requested, in order (to prove what was and was not fetched). */
function apiRequests(page: Page): string[] {
	const seen: string[] = [];
	page.on('request', (r) => {
		const url = new URL(r.url());
		if (url.pathname.startsWith('/api/')) seen.push(`${r.method()} ${url.pathname}`);
	});
	return seen;
}

test.describe('password as a second factor', () => {
	test('a wrong link is caught before the password is asked; a wrong password is refused by the server without spending; the right one opens', async ({
		browser,
		sealdrop
	}, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'secret.bin', 70_000);
		const sender = await browser.newPage();
		const link = await uploadThroughUi(sender, sealdrop.url, [file.path], { password: 'tangerine voyage 42', downloads: '1 download' });
		await expect(sender.getByTestId('password-reminder')).toBeVisible();
		const id = shareIdOf(link);

		const context = await browser.newContext();
		await withoutFilePickers(context);
		const page = await context.newPage();
		const requests = apiRequests(page);
		// Format v2: the link is checked against the header alone, before any password is asked for.
		const [base, key] = link.split('#') as [string, string];
		await page.goto(`${base}#${(key[0] === 'A' ? 'B' : 'A') + key.slice(1)}`);
		await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'WRONG_KEY');
		await expect(page.getByLabel('Password', { exact: true })).toHaveCount(0);
		expect(requests).toEqual([`GET /api/v1/shares/${id}`]);

		requests.length = 0;
		await page.goto('about:blank');
		await page.goto(link);
		const password = page.getByLabel('Password', { exact: true });
		await expect(password).toBeVisible();
		// Only the free public info was read: no metadata, no claim, before the password.
		expect(requests).toEqual([`GET /api/v1/shares/${id}`]);

		await password.fill('tangerine voyage 41');
		await page.getByRole('button', { name: 'Unlock' }).click();
		await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'WRONG_PASSWORD');
		await expect(page.getByRole('alert')).toContainText('Wrong password');
		await expect(password).toHaveAttribute('aria-invalid', 'true');
		// Checked by the server (one unlock request, counted), and nothing was spent.
		expect(requests).toEqual([`GET /api/v1/shares/${id}`, `POST /api/v1/shares/${id}/unlock`]);
		expect((await publicInfo(sealdrop.url, link)).body.downloadsLeft).toBe(1);

		await password.fill('tangerine voyage 42');
		await page.getByRole('button', { name: 'Unlock' }).click();
		await expect(page.getByRole('list', { name: 'Files' })).toContainText('secret.bin');
		const [download] = await collectDownloads(page, 1, () => page.getByRole('button', { name: 'Download', exact: true }).click());
		expect(await sha256File((await download!.path())!)).toBe(file.sha256);
		await context.close();
		await sender.close();
	});

	test('a share locked by wrong guesses says how long to wait, even for the right password', async ({ browser, sealdrop }, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'locked.bin', 2000);
		const sender = await browser.newPage();
		const link = await uploadThroughUi(sender, sealdrop.url, [file.path], { password: 'orchard violet 42 canyon' });
		const id = shareIdOf(link);
		// Ten wrong guesses over HTTP from another loopback address (127.0.0.1, the browser's, and 127.0.0.2, the read-token flood's, keep their budgets).
		const guess = () =>
			new Promise<number>((resolve, reject) => {
				const request = httpRequest(
					`${sealdrop.url}/api/v1/shares/${id}/unlock`,
					{ method: 'POST', localAddress: '127.0.0.3', headers: { authorization: `Bearer ${randomBytes(32).toString('base64url')}` } },
					(response) => {
						response.resume();
						response.on('end', () => resolve(response.statusCode ?? 0));
					}
				);
				request.on('error', reject);
				request.end();
			});
		for (let i = 0; i < 10; i++) expect(await guess()).toBe(403);
		// Ten more, as a patient guesser spreading them over 17 minutes would have had counted: the
		// share now waits 5 minutes after the last (a second instance on the same database).
		const meta = await openSqliteMetaStore({ file: join(sealdrop.config.dataDir, 'sealdrop.sqlite') });
		try {
			for (let i = 0; i < 10; i++)
				await meta.attempts.add(attemptKey('share', id), Date.now(), DEFAULT_ATTEMPT_LIMITS.perPasswordShare.forgetAfterMs, true);
		} finally {
			await meta.close();
		}

		const page = await browser.newPage();
		await page.goto(link);
		const password = page.getByLabel('Password', { exact: true });
		await password.fill('orchard violet 42 canyon');
		await page.getByRole('button', { name: 'Unlock' }).click();
		const alert = page.getByRole('alert');
		await expect(alert).toHaveAttribute('data-code', 'PASSWORD_LOCKED');
		await expect(alert).toHaveText(/Too many wrong passwords for this share\. Try again in [45] minutes\./);
		// Kept (it may be right), not marked wrong, ready for the next try.
		await expect(password).toHaveValue('orchard violet 42 canyon');
		await expect(password).not.toHaveAttribute('aria-invalid', 'true');
		for (const width of [360, 1280]) {
			await page.setViewportSize({ width, height: 800 });
			await page.screenshot({ path: testInfo.outputPath(`password-locked-${width}.png`), fullPage: true });
		}
		expect((await publicInfo(sealdrop.url, link)).body.downloads).toBe(0);
		await sender.close();
	});

	test('the server refuses a flood of wrong read tokens with 429 and Retry-After', async ({ browser, sealdrop }, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'flood.bin', 1000);
		const link = await uploadThroughUi(await browser.newPage(), sealdrop.url, [file.path]);
		const url = new URL(`${sealdrop.url}/api/v1/shares/${shareIdOf(link)}/metadata`);
		// From another loopback address: the limit is per client, and the browser of the other
		// tests (127.0.0.1) must keep its own budget.
		const wrong = () =>
			new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
				const request = httpRequest(
					url,
					{ localAddress: '127.0.0.2', headers: { authorization: `Bearer ${'A'.repeat(42)}E` } },
					(response) => {
						let body = '';
						response.on('data', (chunk: Buffer) => (body += chunk.toString()));
						response.on('end', () => resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'], body }));
					}
				);
				request.on('error', reject);
				request.end();
			});
		for (let i = 0; i < 10; i++) expect((await wrong()).status).toBe(403);
		const limited = await wrong();
		expect(limited.status).toBe(429);
		expect(Number(limited.retryAfter)).toBeGreaterThan(0);
		expect((JSON.parse(limited.body) as { error: { code: string } }).error.code).toBe('TOO_MANY_ATTEMPTS');
		expect((await publicInfo(sealdrop.url, link)).body.downloads).toBe(0);
		// The share has no password: the flood locked out its sender, not the recipient.
		const recipient = await browser.newPage();
		await recipient.goto(link);
		await expect(recipient.getByRole('button', { name: 'Download', exact: true })).toBeVisible();
	});
});

test.describe('my uploads', () => {
	test('lists an upload after a reload; extending shows to the recipient; delete removes it', async ({ browser, sealdrop }, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'kept.bin', 3000);
		const context = await browser.newContext();
		const sender = await context.newPage();
		const link = await uploadThroughUi(sender, sealdrop.url, [file.path], { expiry: '1 hour' });
		await sender.getByRole('navigation').getByRole('link', { name: 'My uploads' }).click();
		await sender.waitForURL('**/uploads');
		await sender.reload();
		const entry = sender.locator(`[data-testid=upload-entry][data-share-id="${shareIdOf(link)}"]`);
		await expect(entry.getByRole('heading')).toHaveText('kept.bin');
		await expect(entry.getByTestId('upload-status')).toContainText('0 of 1 download used');
		await expect(entry.getByTestId('upload-status')).toContainText('expires in 1 hour');

		// Extend to a week: the recipient's page says so.
		await entry.getByRole('button', { name: 'Change expiry or limit' }).click();
		await entry.getByRole('combobox', { name: 'Expiry' }).selectOption({ label: '7 days from now' });
		await entry.getByRole('combobox', { name: 'Download limit' }).selectOption({ label: '5 downloads' });
		await entry.getByRole('button', { name: 'Save changes' }).click();
		await expect(entry.getByTestId('upload-status')).toContainText('0 of 5 downloads used');
		await expect(entry.getByTestId('upload-status')).toContainText('expires in 7 days');
		const recipient = await browser.newPage();
		await recipient.goto(link);
		await expect(recipient.getByTestId('share-status')).toContainText('expires in 7 days');
		await expect(recipient.getByTestId('share-status')).toContainText('5 downloads left');

		// The link and its QR code are there too.
		await entry.getByRole('button', { name: 'Link and QR code' }).click();
		await expect(entry.getByLabel('Share link')).toHaveValue(link);

		await entry.getByRole('button', { name: 'Delete now' }).click();
		await entry.getByRole('button', { name: 'Delete for everyone' }).click();
		await expect(entry.getByTestId('upload-status')).toHaveAttribute('data-state', 'DELETED');
		await recipient.reload();
		await expect(recipient.getByRole('alert')).toHaveAttribute('data-code', 'DELETED');
		await expect(recipient.getByRole('heading', { level: 1 })).toHaveText('This share was deleted');

		await entry.getByRole('button', { name: 'Forget in this browser' }).click();
		await expect(entry).toHaveCount(0);
		await sender.reload();
		await expect(sender.locator(`[data-share-id="${shareIdOf(link)}"]`)).toHaveCount(0);
		await context.close();
	});

	test('an upload is not remembered when the sender unticks it', async ({ browser, sealdrop }, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'private.bin', 100);
		const context = await browser.newContext();
		const sender = await context.newPage();
		const link = await uploadThroughUi(sender, sealdrop.url, [file.path], { remember: false });
		await sender.goto(`${sealdrop.url}/uploads`);
		await expect(sender.getByTestId('no-uploads')).toBeVisible();
		await expect(sender.locator(`[data-share-id="${shareIdOf(link)}"]`)).toHaveCount(0);
		await context.close();
	});
});

test.describe('sharing and receiving', () => {
	test('link previews and bots spend nothing on a burn-after-reading share', async ({ browser, sealdrop }, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'burn.bin', 4000);
		const link = await uploadThroughUi(await browser.newPage(), sealdrop.url, [file.path], { downloads: '1 download' });
		const page = new URL(link);
		for (let i = 0; i < 5; i++) {
			// What an unfurler does: fetch the page (the fragment never leaves it) and the public info.
			expect((await fetch(`${page.origin}${page.pathname}`)).status).toBe(200);
			expect((await publicInfo(sealdrop.url, link)).status).toBe(200);
		}
		const viewer = await browser.newPage();
		for (let i = 0; i < 3; i++) {
			await viewer.goto(link);
			await expect(viewer.getByTestId('share-status')).toContainText('1 download left');
		}
		expect((await publicInfo(sealdrop.url, link)).body).toMatchObject({ downloads: 0, downloadsLeft: 1 });

		const context = await browser.newContext();
		await withoutFilePickers(context);
		const recipient = await context.newPage();
		await recipient.goto(link);
		const [download] = await collectDownloads(recipient, 1, () => recipient.getByRole('button', { name: 'Download', exact: true }).click());
		expect(await sha256File((await download!.path())!)).toBe(file.sha256);
		await context.close();
	});

	test('a note with HTML in it, without files, arrives as literal text, and burns after one reading', async ({
		browser,
		sealdrop
	}, testInfo) => {
		const note = 'Hi <b>there</b> <img src=x onerror="document.title=\'pwned\'">\n<script>document.title="pwned"</script> & bye';
		const sender = await browser.newPage();
		const link = await uploadThroughUi(sender, sealdrop.url, [], { note, downloads: '1 download' });

		const page = await browser.newPage();
		await page.goto(link);
		await expect(page.getByTestId('share-status')).toContainText('Message only');
		// Opening the page reads nothing: the note is shown only by an explicit action that spends the download.
		await expect(page.getByText('This message can be read once')).toBeVisible();
		await expect(page.getByTestId('note')).toHaveCount(0);
		await page.setViewportSize({ width: 360, height: 740 });
		await page.screenshot({ path: testInfo.outputPath('note-hidden-360.png'), fullPage: true });
		await page.getByRole('button', { name: 'Show message' }).click();
		const shown = page.getByTestId('note');
		await expect(shown).toBeVisible();
		expect(await shown.innerText()).toBe(note);
		await expect(shown.locator('b, img, script')).toHaveCount(0);
		expect(await page.title()).not.toBe('pwned');
		await expect(page.getByRole('button', { name: 'Copy message' })).toBeVisible();
		await expect(page.getByRole('button', { name: /^Download/ })).toHaveCount(0);

		// A second reader gets the used-up message, and the sender's list says so.
		const again = await browser.newPage();
		await again.goto(link);
		await expect(again.getByRole('alert')).toHaveAttribute('data-code', 'DOWNLOAD_LIMIT_REACHED');
		await expect(again.getByRole('button', { name: 'Show message' })).toHaveCount(0);
		await sender.goto(`${sealdrop.url}/uploads`);
		await expect(sender.getByTestId('upload-status').first()).toHaveAttribute('data-state', 'DOWNLOAD_LIMIT_REACHED');
	});

	test('pasting text and files adds them to the upload', async ({ browser, sealdrop }) => {
		const page = await browser.newPage();
		await page.goto(sealdrop.url);
		await expect(page.getByLabel('Expires after')).toBeVisible(); // the page is live
		await page.evaluate(() => {
			const paste = (fill: (data: DataTransfer) => void) => {
				const data = new DataTransfer();
				fill(data);
				document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
			};
			paste((d) => d.setData('text/plain', 'pasted words'));
			paste((d) => d.items.add(new File(['clipboard bytes'], 'clip.txt', { type: 'text/plain' })));
		});
		await expect(page.getByLabel(/^Message/)).toHaveValue('pasted words');
		await expect(page.getByRole('list', { name: 'Selected files' })).toContainText('clip.txt');
	});

	test('a ZIP of three files opens with unzip and matches', async ({ browser, sealdrop }, testInfo) => {
		const dir = testInfo.outputDir;
		const files = [
			// Over the 32 MiB that may be held in memory: the ZIP streams through the service worker.
			await makeFile(dir, 'alpha.bin', 33 * 1024 * 1024 + 150_000),
			await makeFile(dir, 'beta.txt', 10),
			await makeFile(dir, 'gamma.dat', 70_000)
		];
		const link = await uploadThroughUi(
			await browser.newPage(),
			sealdrop.url,
			files.map((f) => f.path),
			{ downloads: '5 downloads' }
		);
		const context = await browser.newContext();
		await withoutFilePickers(context);
		const page = await context.newPage();
		await page.goto(link);
		const [download] = await collectDownloads(page, 1, () => page.getByRole('button', { name: 'Download all as ZIP' }).click());
		expect(download!.suggestedFilename()).toBe('sealdrop-files.zip');
		await expect(page.getByRole('status').filter({ hasText: 'Saved and verified' })).toBeVisible();
		const zip = (await download!.path())!;
		const out = join(dir, 'unzipped');
		await mkdir(out, { recursive: true });
		const checked = await run('unzip', ['-t', zip]);
		expect(checked.stdout).toContain('No errors detected');
		await run('unzip', ['-o', '-q', zip, '-d', out]);
		for (const file of files) expect(await sha256File(join(out, file.name))).toBe(file.sha256);
		// One ZIP of all files is one download.
		expect((await publicInfo(sealdrop.url, link)).body.downloads).toBe(1);
		await context.close();
	});

	test('the QR code decodes to the link; a split link asks for its key', async ({ browser, sealdrop }, testInfo) => {
		const file = await makeFile(testInfo.outputDir, 'qr.bin', 500);
		const sender = await browser.newPage();
		const link = await uploadThroughUi(sender, sealdrop.url, [file.path]);
		await sender.getByRole('button', { name: 'Show QR code' }).click();
		const qr = sender.getByRole('img', { name: 'QR code of the share link' });
		await expect(qr).toBeVisible();
		expect(await decodeQr(sender, qr)).toBe(link);

		// In two halves: the QR code and the link field carry no key.
		await sender.getByLabel('Send the key separately').check();
		const bare = await sender.getByLabel('Link without the key', { exact: true }).inputValue();
		const key = await sender.getByLabel('Key', { exact: true }).inputValue();
		expect(`${bare}#${key}`).toBe(link);
		expect(await decodeQr(sender, sender.getByRole('img', { name: 'QR code of the link without the key' }))).toBe(bare);

		const page = await browser.newPage();
		await page.goto(bare);
		await expect(page.getByRole('alert')).toHaveCount(0);
		await page.getByLabel('Key', { exact: true }).fill('not-a-key');
		await page.getByRole('button', { name: 'Open' }).click();
		await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'BAD_SECRET');
		await page.goto(bare);
		await page.getByLabel('Key', { exact: true }).fill(key);
		await page.getByRole('button', { name: 'Open' }).click();
		await expect(page.getByRole('list', { name: 'Files' })).toContainText('qr.bin');
		expect(page.url()).toBe(link);
	});
});

test.describe('previews', () => {
	test('image and text show in the page; audio seeks by Range; one download for all', async ({ browser, sealdrop }, testInfo) => {
		const dir = testInfo.outputDir;
		await mkdir(dir, { recursive: true });
		const png = join(dir, 'pixel.png');
		await writeFile(png, Buffer.from(ONE_PIXEL_PNG, 'base64'));
		const txt = join(dir, 'readme.txt');
		await writeFile(txt, 'plain <b>text</b>, never HTML\n');
		const wav = await makeWav(join(dir, 'song.wav'), 180); // 31.8 MB: seeking far needs a Range
		const link = await uploadThroughUi(await browser.newPage(), sealdrop.url, [png, txt, wav], { downloads: '1 download' });

		const context = await browser.newContext();
		await withoutFilePickers(context);
		const page = await context.newPage();
		const blobRanges: number[] = [];
		page.on('request', (r) => {
			if (r.url().endsWith('/blob')) blobRanges.push(Number(/^bytes=(\d+)-/.exec(r.headers()['range'] ?? '')?.[1] ?? -1));
		});
		await page.goto(link);
		await expect(page.getByTestId('share-status')).toContainText('1 download left');

		await page.getByRole('button', { name: 'Preview pixel.png' }).click();
		const image = page.getByRole('img', { name: 'Preview of pixel.png' });
		await expect(image).toBeVisible();
		expect(await image.evaluate((el: HTMLImageElement) => [el.naturalWidth, el.src.startsWith('blob:')])).toEqual([1, true]);
		await expect(page.getByTestId('share-status')).toContainText('0 downloads left');

		await page.getByRole('button', { name: 'Preview readme.txt' }).click();
		await expect(page.getByTestId('text-preview')).toHaveText('plain <b>text</b>, never HTML\n');
		await expect(page.getByTestId('preview').locator('b')).toHaveCount(0);

		await page.getByRole('button', { name: 'Preview song.wav' }).click();
		await expect(page.locator('iframe.media')).toHaveAttribute('sandbox', 'allow-same-origin');
		// The frame runs no script; its same-origin parent can still read and drive the player.
		// (Functions, not strings: the page's CSP forbids evaluating strings, even for the test.)
		await page.waitForFunction(() => {
			const a = document.querySelector<HTMLIFrameElement>('iframe.media')?.contentDocument?.querySelector('audio');
			return (a?.readyState ?? 0) >= 1;
		});
		const duration = await page.evaluate(
			() => document.querySelector<HTMLIFrameElement>('iframe.media')!.contentDocument!.querySelector('audio')!.duration
		);
		expect(Math.round(duration)).toBe(180);
		const before = blobRanges.length;
		await page.evaluate(() => {
			document.querySelector<HTMLIFrameElement>('iframe.media')!.contentDocument!.querySelector('audio')!.currentTime = 150;
		});
		await page.waitForFunction(() => {
			const a = document.querySelector<HTMLIFrameElement>('iframe.media')!.contentDocument!.querySelector('audio')!;
			return !a.seeking && a.readyState >= 2 && Math.abs(a.currentTime - 150) < 1;
		});
		// Seeking fetched ciphertext from near 150 s (≈ 26 MB in), not the file from its start.
		const seekRanges = blobRanges.slice(before);
		expect(seekRanges.some((start) => start > 25_000_000)).toBe(true);

		// Saving after previews reuses the page's one claim.
		const [download] = await collectDownloads(page, 1, () => page.getByRole('button', { name: 'Download readme.txt' }).click());
		expect(await sha256File((await download!.path())!)).toBe(await sha256File(txt));
		expect((await publicInfo(sealdrop.url, link)).status).toBe(410);
		await context.close();
	});
});

const ONE_PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/** A 16-bit stereo 44.1 kHz WAV of noise, `seconds` long. */
async function makeWav(path: string, seconds: number): Promise<string> {
	const rate = 44_100;
	const bytes = seconds * rate * 4;
	const header = Buffer.alloc(44);
	header.write('RIFF', 0);
	header.writeUInt32LE(36 + bytes, 4);
	header.write('WAVEfmt ', 8);
	header.writeUInt32LE(16, 16);
	header.writeUInt16LE(1, 20); // PCM
	header.writeUInt16LE(2, 22);
	header.writeUInt32LE(rate, 24);
	header.writeUInt32LE(rate * 4, 28);
	header.writeUInt16LE(4, 32);
	header.writeUInt16LE(16, 34);
	header.write('data', 36);
	header.writeUInt32LE(bytes, 40);
	const out = await open(path, 'w');
	try {
		await out.write(header);
		for (let written = 0; written < bytes;) {
			const chunk = randomBytes(Math.min(4 << 20, bytes - written)).map((b) => b >> 3); // quiet noise
			await out.write(chunk);
			written += chunk.length;
		}
	} finally {
		await out.close();
	}
	return path;
}

/** Rasterises the QR code's SVG in the page and decodes it with jsQR in Node. */
async function decodeQr(page: Page, qr: ReturnType<Page['getByRole']>): Promise<string | undefined> {
	const svg = await qr.evaluate((el) => new XMLSerializer().serializeToString(el));
	const pixels = await page.evaluate(async (markup) => {
		const size = 240;
		const url = URL.createObjectURL(new Blob([markup], { type: 'image/svg+xml' }));
		const image = new Image(size, size);
		image.src = url;
		await image.decode();
		const canvas = document.createElement('canvas');
		canvas.width = size;
		canvas.height = size;
		const context = canvas.getContext('2d')!;
		context.drawImage(image, 0, 0, size, size);
		URL.revokeObjectURL(url);
		// RGBA bytes as base64: far cheaper over the DevTools protocol than an array of numbers.
		const rgba = context.getImageData(0, 0, size, size).data;
		let binary = '';
		for (let i = 0; i < rgba.length; i += 0x8000) binary += String.fromCharCode(...rgba.subarray(i, i + 0x8000));
		return { size, data: btoa(binary) };
	}, svg);
	const rgba = new Uint8ClampedArray(Buffer.from(pixels.data, 'base64'));
	return jsQR(rgba, pixels.size, pixels.size)?.data;
}
