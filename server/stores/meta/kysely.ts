import { sql, type Kysely } from 'kysely';
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
}

/**
 * The MetaStore over any Kysely dialect: one store per aggregate, all on the same connection.
 * Only portable SQL in them (no dialect-specific functions, upserts via ON CONFLICT, RETURNING for
 * conditional updates): the SQLite and the PostgreSQL stores differ only in how they open the
 * connection and which error codes mean "retry later", translated here at the boundary.
 */
export function kyselyMetaStore(db: Kysely<Database>, options: KyselyMetaOptions): MetaStore {
	const boundary = <T extends object>(store: T): T => translatingErrors(store, 'meta', options.transient);
	const control = boundary({
		async ping(): Promise<void> {
			await sql`select 1`.execute(db);
		},
		compact: options.compact ?? (async (): Promise<void> => {})
	});
	return {
		shares: boundary(new KyselyShareStore(db)),
		parts: boundary(new KyselyPartStore(db)),
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
