import { readdir, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, sql, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { postgresCacheTransaction } from '../../server/stores/meta/postgres';
import type { Database } from '../../server/stores/meta/schema';
import { sqliteCacheTransaction } from '../../server/stores/meta/sqlite';
import type { MetaStore } from '../../server/stores/meta/types';
import { freshSchema } from '../support/postgres';
import { postgresAndS3Stores } from '../support/postgres-s3';
import { describeWithServices, withServices } from '../support/tier';
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
	it('SQLite: synchronous is NORMAL inside a part record, FULL for a claim queued behind it and after a failure', async () => {
		const dir = await tempDir();
		const connection = new SQLite(join(dir, 'db.sqlite'));
		connection.pragma('journal_mode = WAL');
		connection.pragma('synchronous = FULL');
		const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
		// 1 NORMAL, 2 FULL
		const level = async (q: Kysely<Database>) => (await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(q)).rows[0]!.synchronous;
		try {
			let entered!: () => void;
			const inside = new Promise<void>((resolve) => (entered = resolve));
			let release!: () => void;
			const gate = new Promise<void>((resolve) => (release = resolve));
			const record = sqliteCacheTransaction(db, async (trx) => {
				entered();
				const seen = await level(trx);
				await gate;
				return seen;
			});
			await inside;
			// A claim asked for while the part record is open waits for it, and commits with FULL.
			const claimed = db.transaction().execute((trx) => level(trx));
			release();
			expect(await record).toBe(1);
			expect(await claimed).toBe(2);
			await expect(
				sqliteCacheTransaction(db, () => {
					throw new Error('refused');
				})
			).rejects.toThrow('refused');
			expect(await level(db)).toBe(2);
		} finally {
			await db.destroy();
		}
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
