import { provideTestDatabase } from './throwaway-postgres.ts';

/** The server tests' PostgreSQL: a throwaway cluster unless SEALDROP_TEST_DATABASE_URL is set. */
export default function setup(): Promise<() => Promise<void>> {
	return provideTestDatabase();
}
