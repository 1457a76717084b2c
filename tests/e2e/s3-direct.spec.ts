import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutBucketCorsCommand, S3Client } from '@aws-sdk/client-s3';
import { expect, test } from '@playwright/test';
import puppeteer from 'puppeteer-core';
import { loadConfig } from '../../server/config/load';
import { createLogger } from '../../server/logger';
import { startSealdrop, type RunningSealdrop } from '../../server/start';
import { FIREFOX_PATH } from '../support/firefox';
import { startS3rver, type TestS3 } from '../support/s3rver';
import { collectDownloads, makeFile, sha256File, uploadThroughUi, withoutFilePickers } from './helpers';

// SEALDROP_S3_DIRECT in Chromium: the pages (and their workers) PUT parts to and read ranges from
// the bucket (s3rver, behind the test's ListParts proxy) with presigned URLs, under the CORS rule
// docs/SELF-HOSTING.md gives; the Sealdrop server, started for this spec only, carries metadata.
test.describe('direct S3 transfers', () => {
	let dir: string;
	let s3: TestS3;
	let server: RunningSealdrop;
	const requests: string[] = [];
	const sockets: Socket[] = [];

	test.beforeAll(async () => {
		dir = await mkdtemp(join(tmpdir(), 'sealdrop-e2e-direct-'));
		s3 = await startS3rver('sealdrop-direct', { listParts: true });
		const config = loadConfig({
			...s3.env,
			SEALDROP_S3_DIRECT: 'true',
			SEALDROP_HOST: '127.0.0.1',
			SEALDROP_PORT: '0',
			SEALDROP_DATA_DIR: dir,
			SEALDROP_STATIC_DIR: 'build',
			SEALDROP_LOG_LEVEL: 'silent',
			SEALDROP_RATE_LIMIT_CREATE: 'off',
			SEALDROP_RATE_LIMIT_CLAIM: 'off'
		});
		server = await startSealdrop(config, { logger: createLogger('silent') });
		server.httpServer.on('connection', (socket: Socket) => sockets.push(socket));
		server.httpServer.on('request', (request: { method?: string; url?: string }) => requests.push(`${request.method} ${request.url}`));
		// The bucket's CORS rule names the web app's origin, known only now.
		const client = new S3Client({
			endpoint: s3.endpoint,
			region: 'us-east-1',
			forcePathStyle: true,
			credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
		});
		await client.send(
			new PutBucketCorsCommand({
				Bucket: s3.bucket,
				CORSConfiguration: {
					CORSRules: [
						{
							AllowedOrigins: [server.url],
							AllowedMethods: ['PUT', 'GET'],
							AllowedHeaders: ['Content-Type', 'Content-Length', 'Range'],
							ExposeHeaders: ['ETag', 'Content-Range', 'Content-Length'],
							MaxAgeSeconds: 3600
						}
					]
				}
			})
		);
		client.destroy();
	});

	test.afterAll(async () => {
		await server?.close();
		await s3?.close();
		if (dir) await rm(dir, { recursive: true, force: true });
	});

	test('a file over one part goes to the bucket and back through the browser; no file byte crosses Sealdrop', async ({
		browser
	}, testInfo) => {
		// Over one part (8 MiB), so the blob is a real multipart object.
		const size = 9 * 1024 * 1024 + 4321;
		const file = await makeFile(testInfo.outputDir, 'direct.bin', size);
		const bucketHost = new URL(s3.endpoint).host;

		const sender = await browser.newContext();
		const bucketRequests: string[] = [];
		sender.on('request', (request) => {
			if (new URL(request.url()).host === bucketHost) bucketRequests.push(request.method());
		});
		const link = new URL(await uploadThroughUi(await sender.newPage(), server.url, [file.path]));
		expect(bucketRequests.filter((method) => method === 'PUT').length).toBeGreaterThanOrEqual(2);

		const recipient = await browser.newContext();
		await withoutFilePickers(recipient);
		const page = await recipient.newPage();
		await page.goto(`${server.url}${link.pathname}${link.hash}`);
		const [download] = await collectDownloads(page, 1, () => page.getByRole('button', { name: 'Download' }).click());
		expect(await sha256File((await download!.path())!)).toBe(file.sha256);
		await expect(page.getByRole('status').filter({ hasText: 'Saved and verified' })).toBeVisible();

		const id = link.pathname.split('/').pop()!;
		const mine = requests.filter((line) => line.includes(id));
		expect(mine.some((line) => line.endsWith('/upload-url'))).toBe(true);
		expect(mine).toContain(`POST /api/v1/shares/${id}/blob-url`);
		expect(mine.filter((line) => /^PUT .*\/parts\/\d+$/.test(line) || line.endsWith('/blob'))).toEqual([]);
		// Pages, scripts and JSON only: far below the 9 MiB that went to the bucket and back.
		const carried = sockets.reduce((sum, socket) => sum + socket.bytesRead + socket.bytesWritten, 0);
		expect(carried).toBeLessThan(size / 4);
		await sender.close();
		await recipient.close();
	});

	test('Firefox ESR uploads to the bucket and saves from it through its service worker', async ({ browserName }, testInfo) => {
		expect(browserName).toBe('chromium'); // Playwright's project; Firefox itself is driven by puppeteer below
		if (!existsSync(FIREFOX_PATH)) {
			throw new Error(`Firefox ESR not found at ${FIREFOX_PATH}: install it with \`sudo apt-get install firefox-esr\`.`);
		}
		const size = 9 * 1024 * 1024 + 77;
		const file = await makeFile(testInfo.outputDir, 'firefox-direct.bin', size);
		const downloadPath = join(testInfo.outputDir, 'firefox-downloads');
		await mkdir(downloadPath, { recursive: true });
		const before = requests.length;
		const firefox = await puppeteer.launch({ browser: 'firefox', protocol: 'webDriverBiDi', executablePath: FIREFOX_PATH, headless: true });
		try {
			const sender = await (await firefox.createBrowserContext()).newPage();
			await sender.goto(server.url);
			const input = await sender.waitForSelector('input[type=file][multiple]:not([webkitdirectory])');
			await input!.uploadFile(file.path);
			await sender.locator('::-p-aria(Encrypt and upload[role="button"])').click();
			const linkField = await sender.waitForSelector('::-p-aria(Share link[role="textbox"])', { timeout: 120_000 });
			const link = await linkField!.evaluate((field: Element) => (field as HTMLInputElement).value);

			const context = await firefox.createBrowserContext({ downloadBehavior: { policy: 'allow', downloadPath } });
			const recipient = await context.newPage();
			await recipient.goto(link);
			await recipient.locator('::-p-aria(Download[role="button"])').click();
			const saved = join(downloadPath, 'firefox-direct.bin');
			// Firefox streams into a .part file and moves it into place only when the stream ended cleanly.
			const finished = async () => {
				const names = await readdir(downloadPath);
				return !names.some((n) => n.endsWith('.part')) && names.includes('firefox-direct.bin') ? (await stat(saved)).size : -1;
			};
			await expect.poll(finished, { timeout: 120_000 }).toBe(size);
			expect(await sha256File(saved)).toBe(file.sha256);

			const id = new URL(link).pathname.split('/').pop()!;
			const mine = requests.slice(before).filter((line) => line.includes(id));
			expect(mine).toContain(`POST /api/v1/shares/${id}/blob-url`);
			expect(mine.filter((line) => /^PUT .*\/parts\/\d+$/.test(line) || line.endsWith('/blob'))).toEqual([]);
		} finally {
			await firefox.close();
		}
	});
});
