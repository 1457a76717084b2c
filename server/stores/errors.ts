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
