/** Why a storage backend could not be opened; stable codes for scripts and tests. */
export type StoreErrorCode =
	| 'DB_UNREACHABLE'
	| 'DB_AUTH_FAILED'
	| 'DB_NOT_FOUND'
	| 'DB_MIGRATION_FAILED'
	| 'S3_UNREACHABLE'
	| 'S3_AUTH_FAILED'
	| 'S3_BUCKET_NOT_FOUND'
	| 'S3_FAILED';

/**
 * A backend that is unreachable or misconfigured at start-up. The message is one line meant for
 * the operator: what failed, where (host, bucket — never a credential) and which variable to check.
 */
export class StoreStartError extends Error {
	constructor(
		readonly code: StoreErrorCode,
		message: string,
		options?: { cause?: unknown }
	) {
		super(message, options);
		this.name = 'StoreStartError';
	}
}

/** The Node network error code of an error or of its cause chain (ECONNREFUSED, ENOTFOUND, …). */
export function networkCode(error: unknown): string | undefined {
	for (let current = error, depth = 0; current && depth < 5; depth++) {
		const code = (current as { code?: unknown }).code;
		if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
		// AggregateError (several addresses tried): the first member says enough.
		const inner = (current as { errors?: unknown[] }).errors?.[0];
		current = inner ?? (current as { cause?: unknown }).cause;
	}
	return undefined;
}

/**
 * Storage that is busy, full or unreachable right now (a locked SQLite file, a PostgreSQL
 * serialization failure, a full disk, a refused connection): retrying later may work, nothing is
 * broken. Each store raises it at its boundary from its own backend's codes, so that callers (and
 * the HTTP layer, which answers 503 UNAVAILABLE with Retry-After) know no database or errno code.
 */
export class StoreUnavailableError extends Error {
	constructor(
		readonly store: 'meta' | 'blobs',
		/** The backend's code (SQLITE_BUSY, 40001, ENOSPC, …), for the logs. */
		readonly reason: string,
		options: { cause: unknown }
	) {
		super(`the ${store === 'meta' ? 'database' : 'blob store'} is unavailable right now (${reason})`, options);
		this.name = 'StoreUnavailableError';
	}
}

/** File system and network errno codes that mean "retry later", for every backend. */
export const TRANSIENT_ERRNO: ReadonlySet<string> = new Set(['ENOSPC', 'EMFILE', 'ENFILE', 'EAGAIN', 'ECONNREFUSED']);

/** The string `code` of an error, if it has one. */
export function errorCode(error: unknown): string | undefined {
	const code = (error as { code?: unknown } | null)?.code;
	return typeof code === 'string' ? code : undefined;
}

/**
 * `store` with every method wrapped: a failure that `transient` names (returning the backend's
 * code) becomes a StoreUnavailableError, any other passes through unchanged. The one place where
 * a store's backend codes are translated, instead of a try/catch in each method.
 */
export function translatingErrors<T extends object>(
	store: T,
	which: StoreUnavailableError['store'],
	transient: (error: unknown) => string | undefined
): T {
	const translate = (error: unknown): unknown => {
		if (error instanceof StoreUnavailableError) return error;
		const reason = transient(error);
		return reason === undefined ? error : new StoreUnavailableError(which, reason, { cause: error });
	};
	return new Proxy(store, {
		get(target, key) {
			// Bound to the store itself, so that its private state is reached as usual.
			const value: unknown = Reflect.get(target, key, target);
			if (typeof value !== 'function') return value;
			return (...args: unknown[]): unknown => {
				let result: unknown;
				try {
					result = (value as (...a: unknown[]) => unknown).apply(target, args);
				} catch (error) {
					throw translate(error);
				}
				return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(translate(error))) : result;
			};
		}
	});
}

/** The errno code (of the error or its causes) if it means "retry later": the blob stores' rule. */
export function transientErrno(error: unknown): string | undefined {
	const code = networkCode(error);
	return code !== undefined && TRANSIENT_ERRNO.has(code) ? code : undefined;
}
