import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { startInstance, type Instance } from '../support/instances';
import { freshSchema, type TestSchema } from '../support/postgres';
import { startS3rver, type TestS3 } from '../support/s3rver';
import { collectDownloads, makeFile, sha256File, uploadThroughUi, withoutFilePickers } from './helpers';

// Two server processes behind no load balancer at all: the sender's tab talks to A only, the
// recipient's to B only. They share PostgreSQL and an S3 bucket (s3rver), nothing else. A runs
// from source, B from the bundle `npm start` runs, whose PostgreSQL and S3 code loads on demand.
test.describe('several instances', () => {
	let dir: string;
	let s3: TestS3;
	let db: TestSchema;
	let a: Instance;
	let b: Instance;

	test.beforeAll(async () => {
		test.setTimeout(120_000);
		dir = await mkdtemp(join(tmpdir(), 'sealdrop-e2e-multi-'));
		[s3, db] = await Promise.all([startS3rver(), freshSchema('e2e_multi')]);
		const env = (name: string) => ({
			...s3.env,
			SEALDROP_DATABASE_URL: db.url,
			SEALDROP_DATA_DIR: join(dir, name),
			SEALDROP_STATIC_DIR: resolve('build'),
			SEALDROP_LOG_LEVEL: 'info'
		});
		[a, b] = await Promise.all([startInstance(env('a')), startInstance(env('b'), { entry: 'bundle' })]);
	});

	test.afterAll(async () => {
		await Promise.all([a?.stop(), b?.stop()]);
		await Promise.all([s3?.close(), db?.drop()]);
		if (dir) await rm(dir, { recursive: true, force: true });
	});

	test('a file uploaded through one instance downloads identical through the other', async ({ browser }, testInfo) => {
		// Over one part (8 MiB), so the blob is a real multipart object.
		const file = await makeFile(testInfo.outputDir, 'across.bin', 9 * 1024 * 1024 + 4321);

		const sender = await browser.newContext();
		const senderHosts = new Set<string>();
		sender.on('request', (request) => senderHosts.add(new URL(request.url()).host));
		const link = new URL(await uploadThroughUi(await sender.newPage(), a.url, [file.path]));
		expect(link.origin).toBe(a.url);
		expect([...senderHosts]).toEqual([new URL(a.url).host]);

		const recipient = await browser.newContext();
		await withoutFilePickers(recipient);
		const recipientHosts = new Set<string>();
		recipient.on('request', (request) => recipientHosts.add(new URL(request.url()).host));
		const page = await recipient.newPage();
		await page.goto(`${b.url}${link.pathname}${link.hash}`);
		const [download] = await collectDownloads(page, 1, () => page.getByRole('button', { name: 'Download' }).click());
		expect(await sha256File((await download!.path())!)).toBe(file.sha256);
		await expect(page.getByRole('status').filter({ hasText: 'Saved and verified' })).toBeVisible();
		expect([...recipientHosts]).toEqual([new URL(b.url).host]);

		const audits = (instance: Instance, event: string) => instance.lines().filter((line) => line.audit === event).length;
		expect([audits(a, 'share.create'), audits(a, 'share.complete'), audits(b, 'share.claim')]).toEqual([1, 1, 1]);
		const errors = [...a.lines(), ...b.lines()].filter((line) => Number(line.level) >= 50);
		expect(errors).toEqual([]);
		await sender.close();
		await recipient.close();
	});
});
