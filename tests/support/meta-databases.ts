import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '../../server/config/stores';
import { openPostgresMetaStore } from '../../server/stores/meta/postgres';
import { openSqliteMetaStore } from '../../server/stores/meta/sqlite';
import type { MetaStore } from '../../server/stores/meta/types';
import { freshSchema } from './postgres';
import { FAST_TIER } from './tier';

/** An empty database of one backend; `open` may be called several times (several instances). */
export interface MetaDatabase {
	open(): Promise<MetaStore>;
	/**
	 * False for SQLite: better-sqlite3 is synchronous, so a second connection in the same thread
	 * that waits for the first one's write lock blocks the very thread that would release it. Its
	 * instances are separate processes (tests/server/multi-instance.test.ts uses PostgreSQL).
	 */
	manyPerProcess: boolean;
	drop(): Promise<void>;
}

export async function sqliteDatabase(): Promise<MetaDatabase> {
	const dir = await mkdtemp(join(tmpdir(), 'sealdrop-meta-'));
	return {
		open: () => openSqliteMetaStore({ file: join(dir, 'sealdrop.sqlite') }),
		manyPerProcess: false,
		drop: () => rm(dir, { recursive: true, force: true })
	};
}

/** A fresh schema in the test run's real PostgreSQL (tests/support/throwaway-postgres.ts). */
export async function postgresDatabase(label = 'meta'): Promise<MetaDatabase> {
	const schema = await freshSchema(label);
	return {
		open: () => openPostgresMetaStore({ url: new Secret(schema.url) }),
		manyPerProcess: true,
		drop: () => schema.drop()
	};
}

/** Both backends (SQLite alone in the fast tier), for contract suites: `describe.each(META_BACKENDS)`. */
export const META_BACKENDS = [
	{ name: 'sqlite', fresh: sqliteDatabase },
	...(FAST_TIER ? [] : [{ name: 'postgres', fresh: () => postgresDatabase() }])
] as const;
