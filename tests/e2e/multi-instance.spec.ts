import { expect, test } from '@playwright/test';
import type { Instance } from '../support/instances';
import { startInstancePair, type InstancePair } from './instance-pair';
import { collectDownloads, makeFile, sha256File, uploadThroughUi, withoutFilePickers } from './helpers';

// Two server processes behind no load balancer at all: the sender's tab talks to A only, the
// recipient's to B only. They share PostgreSQL and an S3 bucket (s3rver), nothing else. A runs
// from source, B from the bundle `npm start` runs, whose PostgreSQL and S3 code loads on demand.
test.describe('several instances', () => {
	let pair: InstancePair;
	let a: Instance;
	let b: Instance;

	test.beforeAll(async () => {
		test.setTimeout(120_000);
		pair = await startInstancePair('multi', { bEntry: 'bundle' });
		({ a, b } = pair);
	});

	test.afterAll(async () => {
		await pair?.stop();
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
