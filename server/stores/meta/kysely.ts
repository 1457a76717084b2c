import { sql, type Kysely, type Transaction } from 'kysely';
import { translatingErrors } from '../errors';
import { KyselyAccountStore } from './accounts';
import { KyselyAttemptStore } from './attempts';
import { KyselyPartStore } from './parts';
import { KyselyRequestStore } from './requests';
import type { Database } from './schema';
import { KyselyShareStore } from './shares';
import { KyselySweepStore } from './sweeping';
import { KyselyTicketStore } from './tickets';
import type { MetaStore } from './types';

export interface KyselyMetaOptions {
	/** The backend's code if `error` means "busy, full or unreachable right now", else undefined. */
	transient: (error: unknown) => string | undefined;
	/** Gives free pages back to the file system (SQLite). */
	compact?: () => Promise<void>;
	/**
	 * Runs a transaction whose commit need not survive a power cut or an OS crash (it may be lost,
	 * never half-applied), for the records that are only a cache until something durable follows:
	 * part records, which complete checks again before sealing (SELF-HOSTING.md, "Durability").
	 * Every other write is durable before it is answered. Default: an ordinary transaction.
	 */
	cacheTransaction?: CacheTransaction;
	/**
	 * Runs every store call but a part record: makes what it committed durable before it answers
	 * (SQLite: commits are not flushed on the event loop, this flushes the log off it). Default:
	 * the call as it is (the database flushed at commit).
	 */
	durableCall?: <T>(call: () => Promise<T>) => Promise<T>;
}

export type CacheTransaction = <T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>) => Promise<T>;

/**
 * The MetaStore over any Kysely dialect: one store per aggregate, all on the same connection.
 * Only portable SQL in them (no dialect-specific functions, upserts via ON CONFLICT, RETURNING for
 * conditional updates): the SQLite and the PostgreSQL stores differ only in how they open the
 * connection and which error codes mean "retry later", translated here at the boundary.
 */
export function kyselyMetaStore(db: Kysely<Database>, options: KyselyMetaOptions): MetaStore {
	const boundary = <T extends object>(store: T, cached: string[] = []): T =>
		translatingErrors(options.durableCall ? durableCalls(store, options.durableCall, cached) : store, 'meta', options.transient);
	const control = translatingErrors(
		{
			async ping(): Promise<void> {
				await sql`select 1`.execute(db);
			},
			compact: options.compact ?? (async (): Promise<void> => {})
		},
		'meta',
		options.transient
	);
	return {
		shares: boundary(new KyselyShareStore(db)),
		parts: boundary(new KyselyPartStore(db, options.cacheTransaction), ['record']),
		tickets: boundary(new KyselyTicketStore(db)),
		sweeping: boundary(new KyselySweepStore(db)),
		attempts: boundary(new KyselyAttemptStore(db)),
		accounts: boundary(new KyselyAccountStore(db)),
		requests: boundary(new KyselyRequestStore(db)),
		ping: () => control.ping(),
		compact: () => control.compact(),
		close: () => db.destroy()
	};
}

/** Every method of `store` but those named in `except` through `durableCall`. */
function durableCalls<T extends object>(store: T, durableCall: NonNullable<KyselyMetaOptions['durableCall']>, except: string[]): T {
	return new Proxy(store, {
		get(target, key) {
			const value: unknown = Reflect.get(target, key, target);
			if (typeof value !== 'function' || (typeof key === 'string' && except.includes(key))) return value;
			return (...args: unknown[]): unknown => durableCall(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
		}
	});
}
