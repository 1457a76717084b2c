import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
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
	/** Puts the write-ahead log's bytes on the disk (tests watch it); default: fdatasync, off the event loop. */
	flushLog?: (walFile: string) => Promise<void>;
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
		// Commits are not flushed on the event loop (FULL's fsync there stalled every request for as
		// long as the disk took); what must survive a power cut is flushed before it is answered,
		// off the loop (logFlusher below). NORMAL in WAL mode loses at most the newest commits,
		// never corrupts the file.
		connection.pragma('synchronous = NORMAL');
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
	const durability = logFlusher(db, connection, `${options.file}-wal`, options.flushLog ?? fdatasync);
	return kyselyMetaStore(db, {
		transient: sqliteTransient,
		...durability,
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
 * Durability without a flush on the event loop. The connection commits with synchronous=NORMAL
 * (written to the WAL, not flushed), and every store call but a part record then waits, if it
 * changed rows, until the WAL file has been flushed (fdatasync in libuv's thread pool) — as FULL
 * would have done inside COMMIT, but with the loop free meanwhile. Concurrent calls share one
 * flush. A part record needs none (kysely.ts, cacheTransaction): its changes are counted apart, so
 * that a read overlapping one never waits on the disk. SQLite's counter of changed rows
 * (total_changes) is read holding Kysely's only connection, so no transaction is half-done then:
 * what it counts is committed, and a flush begun after reading it covers all of it.
 */
function logFlusher(
	db: Kysely<Database>,
	connection: SQLite.Database,
	walFile: string,
	flushLog: (walFile: string) => Promise<void>
): { cacheTransaction: CacheTransaction; durableCall: <T>(call: () => Promise<T>) => Promise<T> } {
	const totalChanges = connection.prepare('SELECT total_changes()').pluck();
	let cacheChanges = 0;
	/** Rows changed outside part records, as of now. */
	const durableChanges = () => db.connection().execute(async () => (totalChanges.get() as number) - cacheChanges);
	let flushed = 0;
	let running: Promise<void> | undefined;
	async function flushTo(target: number): Promise<void> {
		while (flushed < target) {
			if (!running) {
				running = (async () => {
					const covers = await durableChanges();
					await flushLog(walFile);
					flushed = Math.max(flushed, covers);
				})().finally(() => (running = undefined));
			}
			await running;
		}
	}
	return {
		cacheTransaction: (db, work) =>
			db.connection().execute(async (conn) => {
				const before = totalChanges.get() as number;
				try {
					return await conn.transaction().execute(work);
				} finally {
					cacheChanges += (totalChanges.get() as number) - before;
				}
			}),
		async durableCall(call) {
			const before = await durableChanges();
			const result = await call();
			const after = await durableChanges();
			if (after > before) await flushTo(after);
			return result;
		}
	};
}

/** Puts a file's bytes on the disk; a log that is not there has nothing unflushed. */
async function fdatasync(path: string): Promise<void> {
	let handle;
	try {
		handle = await open(path, 'r');
	} catch (error) {
		if (errorCode(error) === 'ENOENT') return;
		throw error;
	}
	try {
		await handle.datasync();
	} finally {
		await handle.close();
	}
}

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
