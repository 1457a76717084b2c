import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from './migrations';
import { KyselyMetaStore } from './queries';
import type { Database } from './schema';
import type { MetaStore } from './types';

export interface SqliteOptions {
	/** Path of the database file. */
	file: string;
	/** How long a statement waits for another connection's write lock, in ms. */
	busyTimeoutMs?: number;
}

/** Opens (creating if needed) the SQLite database and brings its schema up to date. */
export async function openSqliteMetaStore(options: SqliteOptions): Promise<MetaStore> {
	await mkdir(dirname(options.file), { recursive: true, mode: 0o700 });
	const connection = new SQLite(options.file);
	try {
		// WAL: readers never block the writer; several processes can share the file.
		connection.pragma('journal_mode = WAL');
		// A download count must survive a power cut once the client has its ticket.
		connection.pragma('synchronous = FULL');
		connection.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
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
	return new KyselyMetaStore(db);
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
