import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { newShareId } from '../../server/shares/tokens';
import type { MetaStore, ShareStore } from '../../server/stores/meta/types';
import { sweep } from '../../server/sweeper';
import { postgresAndS3Stores } from '../support/postgres-s3';
import { createHarness, createShare, HOUR, readAll, readyShare, type Harness, type HarnessOptions } from './helpers';
import { withServices } from '../support/tier';

/** Storage that no share row claims: never made any more (the row comes first), swept if found. */
const postgresAndS3 = postgresAndS3Stores('orphans');

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
	yield bytes;
}

describe.each<{ name: string; fs: boolean; options: HarnessOptions }>([
	{ name: 'sqlite + fs', fs: true, options: {} },
	...withServices({ name: 'postgres + s3', fs: false, options: { openStores: postgresAndS3 } })
])('orphaned storage on $name', ({ fs, options }) => {
	let h: Harness;
	afterEach(async () => {
		await h?.close();
	});
	const deps = () => ({ config: h.config, clock: h.clock, meta: h.meta, blobs: h.blobs, logger: h.logs.logger });

	it('is removed by the sweeper once older than abandonAfter; storage with a row is kept', async () => {
		h = await createHarness({ ...options, env: { SEALDROP_ABANDON_AFTER: '3600' } });
		// Files and objects carry real times: start the fake clock at the real one.
		h.clock.t = Date.now();
		const kept = await readyShare(h, { expiresIn: 86400 });
		const uploading = await createShare(h);

		// A completed blob and a begun upload (on S3: a part object of one), no row.
		const orphan = newShareId();
		const upload = await h.blobs.begin(orphan);
		const stored = await h.blobs.putPart({ id: orphan, upload }, 0, once(randomBytes(100)), 100);
		await h.blobs.complete({ id: orphan, upload }, [{ n: 0, size: 100, etag: stored.etag ?? null }]);
		const begun = newShareId();
		const begunUpload = await h.blobs.begin(begun);
		const begunPart = fs ? undefined : await h.blobs.putPart({ id: begun, upload: begunUpload }, 0, once(randomBytes(10)), 10);

		expect(await sweep(deps())).toMatchObject({ abandoned: 0 });
		expect(await h.blobs.size(orphan)).toBe(100); // not old enough yet

		h.clock.advance(2 * HOUR);
		await sweep(deps());
		expect(await h.blobs.size(orphan)).toBeUndefined();
		expect(await h.blobs.size(kept.id)).toBe(kept.bytes.length);
		expect(h.logs.lines.filter((line) => line.msg === 'removed blobs that no share recorded')).toMatchObject([{ orphans: 2 }]);
		if (fs) {
			const left = await readdir(h.blobDir);
			expect(left.filter((name) => name.startsWith(orphan) || name.startsWith(begun))).toEqual([]);
			expect(left).toContain(kept.id);
		} else {
			// The part objects of both are gone too.
			await expect(h.blobs.readUploadingPart!(begun, 0, begunPart?.etag ?? null, 0, 10)).rejects.toThrow();
			await expect(h.blobs.readUploadingPart!(orphan, 0, stored.etag ?? null, 0, 100)).rejects.toThrow();
			// The kept share's part objects are still there: its whole blob reads.
			const row = await h.meta.shares.get(kept.id);
			const layout = { id: kept.id, size: kept.bytes.length, partSize: row!.partSize };
			expect((await readAll(await h.blobs.read(layout, 0, kept.bytes.length))).equals(kept.bytes)).toBe(true);
		}
		// The abandoned upload went the normal way (its row says so), not as an orphan.
		expect(await h.meta.shares.get(uploading.id)).toMatchObject({ state: 'abandoned', blobGone: true });
	});

	it('a share is recorded before its storage is made, so a crash in between leaves no orphan', async () => {
		const atInsert: { dirs?: string[]; blobUpload?: string | null } = {};
		const watching = (meta: MetaStore): MetaStore => ({
			...meta,
			shares: Object.assign(Object.create(meta.shares) as ShareStore, {
				async insert(...args: Parameters<ShareStore['insert']>) {
					// What a kill at this moment would leave behind without a row: on S3 an UploadId
					// already made (it would be in the record), on the filesystem a directory.
					atInsert.blobUpload = args[0].blobUpload;
					if (fs) atInsert.dirs = (await readdir(h.blobDir)).filter((name) => name !== '.tmp');
					return meta.shares.insert(...args);
				}
			})
		});
		h = await createHarness({ ...options, wrapMeta: watching });
		const share = await createShare(h);
		expect(atInsert).toEqual(fs ? { blobUpload: null, dirs: [] } : { blobUpload: null });
		expect(await h.meta.shares.get(share.id)).toMatchObject({ state: 'uploading', blobUpload: fs ? null : expect.any(String) });
	});
});
