import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readdir, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newShareId } from '../../server/shares/tokens';
import { postgresCacheTransaction } from '../../server/stores/meta/postgres';
import type { Database } from '../../server/stores/meta/schema';
import { openSqliteMetaStore } from '../../server/stores/meta/sqlite';
import type { MetaStore, NewShare } from '../../server/stores/meta/types';
import { freshSchema } from '../support/postgres';
import { postgresAndS3Stores } from '../support/postgres-s3';
import { describeWithServices, withServices } from '../support/tier';
import { until } from '../support/wait';
import {
	API,
	bearer,
	claim,
	completeShare,
	createHarness,
	createShare,
	outcome,
	putPart,
	tempDir,
	uploadAll,
	type ClientShare,
	type Harness,
	type HarnessOptions
} from './helpers';

/**
 * The durability design (SELF-HOSTING.md, "Durability"): a part is acknowledged before its file
 * and its record are flushed, because until complete they are only a cache of what the client
 * holds: complete checks every part against its record and answers MISSING_PARTS for any that a
 * power cut took, so the client sends it again; what complete seals is flushed before the share
 * is ready. Every other write (claims, attempt counters, complete itself) is flushed at commit.
 */
const postgresAndS3 = postgresAndS3Stores('durability');

async function readsWhole(h: Harness, share: ClientShare): Promise<boolean> {
	const { ticket } = await claim(h, share);
	const whole = await h.app.request(`${API}/shares/${share.id}/blob`, { headers: bearer(ticket) });
	return whole.status === 200 && Buffer.from(await whole.arrayBuffer()).equals(share.bytes);
}

describe.each<{ name: string; options: HarnessOptions }>([
	{ name: 'sqlite + fs', options: {} },
	...withServices({ name: 'postgres + s3', options: { openStores: postgresAndS3 } })
])('parts are a cache until complete, on $name', ({ options }) => {
	let h: Harness;
	afterEach(async () => {
		await h?.close();
	});

	it('a part record lost after its ack (a power cut before anything flushed it) makes complete ask for that part again', async () => {
		let lose: number | undefined = 1;
		// The commit returned, then the power went: as if the record had never been written.
		const losing = (meta: MetaStore): MetaStore => ({
			...meta,
			parts: Object.assign(Object.create(meta.parts) as MetaStore['parts'], {
				record: (...args: Parameters<MetaStore['parts']['record']>) =>
					args[1].n === lose ? Promise.resolve(true) : meta.parts.record(...args)
			})
		});
		h = await createHarness({ ...options, wrapMeta: losing });
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		await uploadAll(h, share);
		lose = undefined;
		const refused = await completeShare(h, share);
		expect(refused.status).toBe(409);
		expect(await refused.json()).toMatchObject({ error: { code: 'MISSING_PARTS', details: { missing: [1] } } });
		expect(await outcome(await putPart(h, share, 1))).toBe('200');
		expect(await outcome(await completeShare(h, share))).toBe('200');
		expect(await readsWhole(h, share)).toBe(true);
	});
});

describe('parts are a cache until complete, on the filesystem', () => {
	let h: Harness;
	afterEach(async () => {
		await h?.close();
	});

	it('a part file that lost bytes after its ack is found at complete and sent again', async () => {
		h = await createHarness();
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		await uploadAll(h, share);
		// The page cache never reached the disk: the file is shorter than the part acknowledged.
		const uploadDir = join(h.blobDir, `${share.id}.upload`);
		const file = (await readdir(uploadDir)).find((name) => name.startsWith('1.'))!;
		await truncate(join(uploadDir, file), 100);
		const refused = await completeShare(h, share);
		expect(refused.status).toBe(409);
		expect(await refused.json()).toMatchObject({ error: { code: 'MISSING_PARTS', details: { missing: [1] } } });
		expect(await outcome(await putPart(h, share, 1))).toBe('200');
		expect(await outcome(await completeShare(h, share))).toBe('200');
		expect(await readsWhole(h, share)).toBe(true);
	});
});

describe('only part records are committed without a flush', () => {
	describe('SQLite: commits are flushed off the event loop, before the call answers', () => {
		const T0 = Date.UTC(2030, 0, 1);
		let dir: string;
		let meta: MetaStore;
		/** Each flush of the log, held until the test lets it go (or at once, when not holding). */
		let flushes: { release(): void }[];
		let flushCount: number;
		let holding: boolean;
		const flushed = new EventEmitter();
		const nthFlush = (n: number) => until(() => flushes.length >= n, [flushed], 'flush', { what: `flush ${n} of the log` });
		beforeEach(async () => {
			dir = await tempDir();
			flushes = [];
			flushCount = 0;
			holding = false;
			meta = await openSqliteMetaStore({
				file: join(dir, 'sealdrop.sqlite'),
				flushLog: async () => {
					flushCount++;
					if (!holding) return;
					await new Promise<void>((release) => {
						flushes.push({ release });
						flushed.emit('flush');
					});
				}
			});
		});
		afterEach(async () => {
			await meta?.close();
			await rm(dir, { recursive: true, force: true });
		});
		const newShare = (maxDownloads = 1): NewShare => ({
			id: newShareId(),
			size: 3000,
			partSize: 1024,
			parts: 3,
			header: randomBytes(83),
			metadata: randomBytes(300),
			readTokenHash: randomBytes(32),
			ownerTokenHash: randomBytes(32),
			expiresIn: 3600,
			maxDownloads,
			createdAt: T0,
			blobUpload: null
		});
		/** Whether `promise` has settled once everything already queued has run. */
		const settled = async (promise: Promise<unknown>) => {
			let done = false;
			void promise.then(
				() => (done = true),
				() => (done = true)
			);
			await new Promise((resolve) => setImmediate(resolve));
			return done;
		};

		it('a claim is answered only once the log holding its count is on the disk', async () => {
			const share = newShare();
			await meta.shares.insert(share);
			expect(await meta.parts.markReady(share.id, T0, T0 + 3_600_000)).toBe(true);
			holding = true;
			const claimed = meta.tickets.claim(share.id, T0 + 1, { hash: randomBytes(32), expiresAt: T0 + 60_000 });
			await nthFlush(1);
			expect(await settled(claimed)).toBe(false);
			// Meanwhile the event loop is free: reads are answered without waiting on the disk.
			expect(await meta.shares.get(share.id)).toMatchObject({ downloads: 1 });
			flushes[0]!.release();
			expect(await claimed).toEqual({ downloads: 1, maxDownloads: 1 });
			// A claim that counted nothing wrote nothing, so it waits on nothing.
			expect(await meta.tickets.claim(share.id, T0 + 2, { hash: randomBytes(32), expiresAt: T0 + 60_000 })).toBeUndefined();
			expect(flushes).toHaveLength(1);
		});

		it('a part record is answered without a flush, and a read after it flushes nothing', async () => {
			const share = newShare();
			await meta.shares.insert(share);
			holding = true;
			expect(await meta.parts.record(share.id, { n: 0, size: 1024, etag: 'e' }, T0 + 1)).toBe(true);
			expect(await meta.parts.list(share.id)).toEqual([{ n: 0, size: 1024, etag: 'e' }]);
			expect(flushes).toHaveLength(0);
			// Complete's first step is durable, and flushes the part records with its own.
			const begun = meta.parts.beginCompleting(share.id, T0 + 2, T0 + 2 - 60_000);
			await nthFlush(1);
			flushes[0]!.release();
			expect(await begun).toBe(true);
		});

		it('calls at once share a flush', async () => {
			const before = flushCount;
			await Promise.all(Array.from({ length: 5 }, () => meta.shares.insert(newShare())));
			// One flush, or two if the first began before some of them had committed.
			expect(flushCount - before).toBeGreaterThanOrEqual(1);
			expect(flushCount - before).toBeLessThanOrEqual(2);
		});
	});

	describeWithServices('PostgreSQL', () => {
		it('synchronous_commit is off only inside a part record', async () => {
			const schema = await freshSchema('durability-pg');
			// One connection, so a setting leaking out of the transaction would show.
			const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: schema.url, max: 1 }) }) });
			const level = async (q: Kysely<Database>) =>
				(await sql<{ synchronous_commit: string }>`SHOW synchronous_commit`.execute(q)).rows[0]!.synchronous_commit;
			try {
				expect(await postgresCacheTransaction(db, (trx) => level(trx))).toBe('off');
				expect(await db.transaction().execute((trx) => level(trx))).toBe('on');
				expect(await level(db)).toBe('on');
			} finally {
				await db.destroy();
				await schema.drop();
			}
		});
	});
});
