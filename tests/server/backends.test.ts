import { afterEach, describe, expect, it } from 'vitest';
import { sweep } from '../../server/sweeper';
import { postgresAndS3Stores } from '../support/postgres-s3';
import {
	bearer,
	claim,
	completeShare,
	createHarness,
	createShare,
	DAY,
	outcome,
	partBytes,
	putPart,
	readyShare,
	type Harness,
	type HarnessOptions
} from './helpers';

/**
 * The API's main paths through the real use cases on each pair of backends: the embedded default
 * (SQLite + filesystem) and the scale-out one (PostgreSQL + S3, here s3rver).
 */
const postgresAndS3 = postgresAndS3Stores('backends');

describe.each<{ name: string; options: HarnessOptions }>([
	{ name: 'sqlite + fs', options: {} },
	{ name: 'postgres + s3', options: { openStores: postgresAndS3 } }
])('API on $name', ({ options }) => {
	let h: Harness;
	afterEach(async () => {
		await h?.close();
	});
	const deps = () => ({ config: h.config, clock: h.clock, meta: h.meta, blobs: h.blobs, logger: h.logs.logger });
	const audits = (event: string) => h.logs.lines.filter((line) => line.audit === event);
	/** Warnings and errors, but the harness's own (it runs without a web build). */
	const problems = () => h.logs.lines.filter((line) => Number(line.level) >= 40 && !String(line.msg).startsWith('web app not built'));

	it('uploads parts in any order (one twice), completes, and serves the bytes whole and by range', async () => {
		h = await createHarness(options);
		const share = await createShare(h, { size: 3000, partSize: 1024, maxDownloads: 2 });
		const puts = await Promise.all([2, 0, 1, 0].map((n) => putPart(h, share, n)));
		expect(puts.map((r) => r.status)).toEqual([200, 200, 200, 200]);
		expect(await outcome(await completeShare(h, share))).toBe('200');
		expect(await outcome(await putPart(h, share, 1))).toBe('409 ALREADY_COMPLETE');

		const { ticket } = await claim(h, share);
		const whole = await h.api(`/shares/${share.id}/blob`, { headers: bearer(ticket) });
		expect(whole.status).toBe(200);
		expect(Buffer.from(await whole.arrayBuffer()).equals(share.bytes)).toBe(true);
		for (const [start, end] of [
			[0, 0],
			[1000, 1100],
			[1023, 2048],
			[2999, 2999]
		] as const) {
			const part = await h.api(`/shares/${share.id}/blob`, { headers: { ...bearer(ticket), range: `bytes=${start}-${end}` } });
			expect(part.status).toBe(206);
			expect(Buffer.from(await part.arrayBuffer()).equals(share.bytes.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
		}
		expect(await h.blobs.size?.(share.id)).toBe(3000);
		expect(problems().map((l) => l.msg)).toEqual([]);
	});

	it('30 simultaneous claims on a limit-5 share give exactly 5 tickets', async () => {
		h = await createHarness(options);
		const share = await readyShare(h, { maxDownloads: 5 });
		const responses = await Promise.all(
			Array.from({ length: 30 }, () => h.api(`/shares/${share.id}/claim`, { method: 'POST', headers: bearer(share.readToken) }))
		);
		const outcomes = await Promise.all(responses.map((r) => outcome(r)));
		expect(outcomes.filter((o) => o === '200')).toHaveLength(5);
		expect(outcomes.filter((o) => o === '410 DOWNLOAD_LIMIT_REACHED')).toHaveLength(25);
		expect(audits('share.claim')).toHaveLength(5);
	});

	it('deleting removes the blob and leaves a 410', async () => {
		h = await createHarness(options);
		const share = await readyShare(h);
		expect(await outcome(await h.api(`/shares/${share.id}`, { method: 'DELETE', headers: bearer(share.ownerToken) }))).toBe('204');
		expect(await h.blobs.size?.(share.id)).toBeUndefined();
		expect(await h.meta.shares.get(share.id)).toMatchObject({ state: 'deleted', blobGone: true });
		expect(await outcome(await h.api(`/shares/${share.id}`))).toBe('410 DELETED');
		expect(problems().map((l) => l.msg)).toEqual([]);
	});

	it('the sweeper expires a share and cleans up an abandoned upload, without a warning', async () => {
		h = await createHarness(options);
		const ready = await readyShare(h, { expiresIn: 86400 });
		const abandoned = await createShare(h, { size: 3000, partSize: 1024 });
		expect((await putPart(h, abandoned, 0, partBytes(abandoned, 0))).status).toBe(200);
		h.clock.advance(DAY);
		expect(await sweep(deps())).toMatchObject({ expired: 1, abandoned: 1, blobsDeleted: 2 });
		expect(audits('share.expire')).toMatchObject([{ shareId: ready.id }]);
		expect(audits('share.abandon')).toMatchObject([{ shareId: abandoned.id }]);
		expect(await h.blobs.size?.(ready.id)).toBeUndefined();
		expect(await h.blobs.size?.(abandoned.id)).toBeUndefined();
		expect(await h.meta.shares.get(abandoned.id)).toMatchObject({ state: 'abandoned', blobGone: true, blobUpload: null });
		expect(await sweep(deps())).toMatchObject({ expired: 0, abandoned: 0, blobsDeleted: 0 });
		expect(problems().map((l) => l.msg)).toEqual([]);
	});
});
