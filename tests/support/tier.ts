import { describe } from 'vitest';

/**
 * `npm run test:fast` runs the unit and server tests with SEALDROP_TEST_TIER=fast: SQLite and the
 * filesystem only, nothing to start. Tests of PostgreSQL or S3 then skip, and say why.
 */
export const FAST_TIER = process.env.SEALDROP_TEST_TIER === 'fast';

/** `describe` for a block that needs the real PostgreSQL or S3 server; skipped in the fast tier. */
export const describeWithServices = FAST_TIER ? describe.skip : describe;

/** A test case that needs the real PostgreSQL or S3 server, as a list: empty in the fast tier. */
export function withServices<T>(testCase: T): T[] {
	return FAST_TIER ? [] : [testCase];
}
