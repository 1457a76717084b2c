import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, sql, SqliteDialect } from 'kysely';
import { migrationProvider } from './migrations';
import { errorCode, TRANSIENT_ERRNO } from '../errors';
import { kyselyMetaStore, type CacheTransaction } from './kysely';
import type { Logger } from '../../logger';
import type { Database } from './schema';
import type { MetaStore } from './types';

export interface SqliteOptions {
	/** Path of the database file. */
	file: string;
	/** How long a statement waits for another connection's write lock, in ms. */
	busyTimeoutMs?: number;
	logger?: Logger;
}

/** Opens (creating if needed) the SQLite database and brings its schema up to date. */
export async function openSqliteMetaStore(options: SqliteOptions): Promise<MetaStore> {
	await mkdir(dirname(options.file), { recursive: true, mode: 0o700 });
	const connection = new SQLite(options.file);
	try {
		connection.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
		// Before WAL, which writes the first page of a new file: then the mode needs no VACUUM.
		useIncrementalVacuum(connection, options.logger);
		// WAL: readers never block the writer; several processes can share the file.
		connection.pragma('journal_mode = WAL');
		// A download count must survive a power cut once the client has its ticket: every commit
		// is flushed, except the part records' (cacheTransaction below).
		connection.pragma('synchronous = FULL');
		// Parts and tickets cascade away with their share.
		connection.pragma('foreign_keys = ON');
	} catch (error) {
		connection.close();
		throw error;
	}
	const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
	try {
		await migrate(db);
	} catch (error) {
		await db.destroy();
		throw error;
	}
	return kyselyMetaStore(db, {
		transient: sqliteTransient,
		cacheTransaction: sqliteCacheTransaction,
		async compact(): Promise<void> {
			// Holding Kysely's connection, so no transaction of it is open meanwhile. exec, not a
			// prepared statement: incremental_vacuum frees one page per step. Then a checkpoint,
			// so the file itself is truncated now rather than at some later checkpoint.
			await db.connection().execute(async () => {
				connection.exec('PRAGMA incremental_vacuum');
				connection.pragma('wal_checkpoint(PASSIVE)');
			});
		}
	});
}

/**
 * A transaction whose commit is not flushed (kysely.ts, cacheTransaction). synchronous is per
 * connection and cannot change inside a transaction, so it is lowered around one while holding
 * Kysely's only connection: no other transaction (a claim) can run with it meanwhile. In WAL mode
 * a NORMAL commit is written to the log without a flush: a power cut may lose it, never corrupt
 * the file, and the next FULL commit flushes it along with its own.
 */
export const sqliteCacheTransaction: CacheTransaction = (db, work) =>
	db.connection().execute(async (conn) => {
		await sql`PRAGMA synchronous = NORMAL`.execute(conn);
		try {
			return await conn.transaction().execute(work);
		} finally {
			await sql`PRAGMA synchronous = FULL`.execute(conn);
		}
	});

/** Another connection holds the lock past busy_timeout, or the disk is full: retry later. */
const SQLITE_TRANSIENT = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED', 'SQLITE_FULL']);

function sqliteTransient(error: unknown): string | undefined {
	const code = errorCode(error);
	return code !== undefined && (SQLITE_TRANSIENT.has(code) || TRANSIENT_ERRNO.has(code)) ? code : undefined;
}

/**
 * Without auto-vacuum a SQLite file never shrinks: the space of deleted shares is only reused.
 * INCREMENTAL lets `compact()` return it. A new file takes the mode before its first table; an
 * existing one needs a VACUUM (once: it rewrites the file) for the mode to take effect.
 */
function useIncrementalVacuum(connection: SQLite.Database, logger?: Logger): void {
	const INCREMENTAL = 2;
	if (connection.pragma('auto_vacuum', { simple: true }) === INCREMENTAL) return;
	connection.pragma('auto_vacuum = INCREMENTAL');
	if (connection.pragma('auto_vacuum', { simple: true }) === INCREMENTAL) return;
	try {
		logger?.info('rewriting the SQLite file once (VACUUM) so that it can shrink');
		connection.exec('VACUUM');
	} catch (error) {
		// Busy (another instance) or no room for the copy: the store works, it just does not
		// shrink; the next start tries again.
		logger?.warn({ err: error }, 'could not VACUUM the SQLite file; it will not shrink until a later start');
	}
}

async function migrate(db: Kysely<Database>): Promise<void> {
	const migrator = new Migrator({ db, provider: migrationProvider({ binary: 'blob' }) });
	// Two instances starting at once on one file: the loser of the write lock gets SQLITE_BUSY
	// at once (a deferred transaction cannot wait to upgrade its lock), so try again.
	for (let attempt = 1; ; attempt++) {
		const { error } = await migrator.migrateToLatest();
		if (!error) return;
		const busy = (error as { code?: unknown }).code === 'SQLITE_BUSY';
		if (!busy || attempt >= 10) throw error instanceof Error ? error : new Error(`migration failed: ${String(error)}`);
		await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
	}
}
