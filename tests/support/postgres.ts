import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The database the tests use; each test file works in a schema of its own inside it. */
export const TEST_DATABASE_URL = process.env.SEALDROP_TEST_DATABASE_URL ?? 'postgres://sealdrop:sealdrop@127.0.0.1:5432/sealdrop_test';

/** Schemas left behind by a crashed run are dropped once they are this old. */
const STALE_AFTER_S = 6 * 3600;

export interface TestSchema {
	schema: string;
	/** TEST_DATABASE_URL with this schema as the search_path: what SEALDROP_DATABASE_URL gets. */
	url: string;
	/** Runs SQL as the test role (to inspect or to move time in the database). */
	query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
	drop(): Promise<void>;
}

/**
 * A fresh, empty schema in the test database: the runners' global set-up starts a throwaway
 * cluster (throwaway-postgres.ts) unless SEALDROP_TEST_DATABASE_URL names one. Tests fail rather
 * than skip when it cannot be reached.
 */
export async function freshSchema(label: string): Promise<TestSchema> {
	const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
	try {
		await client.connect();
	} catch (error) {
		const reason = (error as { code?: string }).code ?? (error as Error).message;
		throw new Error(
			`PostgreSQL is not reachable for the tests (${reason}) at ${redact(TEST_DATABASE_URL)}. ` +
				'Unset SEALDROP_TEST_DATABASE_URL to let the test run start its own, or point it at a database the tests may create schemas in.',
			{ cause: error }
		);
	}
	const now = Math.floor(Date.now() / 1000);
	const schema = `t_${now}_${label.replace(/\W/g, '').toLowerCase().slice(0, 20)}_${randomBytes(4).toString('hex')}`;
	await dropStale(client, now);
	await client.query(`create schema ${schema}`);
	await client.query(`set search_path to ${schema}`);
	const url = new URL(TEST_DATABASE_URL);
	url.searchParams.set('options', `-c search_path=${schema}`);
	return {
		schema,
		url: url.toString(),
		query: (text, values) => client.query(text, values),
		async drop() {
			await client.query(`drop schema if exists ${schema} cascade`);
			await client.end();
		}
	};
}

async function dropStale(client: pg.Client, now: number): Promise<void> {
	const { rows } = await client.query<{ nspname: string }>(`select nspname from pg_namespace where nspname ~ '^t_[0-9]+_'`);
	for (const { nspname } of rows) {
		const created = Number(nspname.split('_')[1]);
		if (now - created > STALE_AFTER_S) await client.query(`drop schema if exists ${nspname} cascade`).catch(() => {});
	}
}

function redact(url: string): string {
	try {
		const parsed = new URL(url);
		if (parsed.password) parsed.password = '***';
		return parsed.toString();
	} catch {
		return '(unparseable URL)';
	}
}
