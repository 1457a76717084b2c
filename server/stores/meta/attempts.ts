import type { Kysely } from 'kysely';
import type { Database } from './schema';
import { num } from './share-row';
import type { AttemptCounter, AttemptStore } from './types';

/** The AttemptStore over any Kysely dialect (portable SQL only). */
export class KyselyAttemptStore implements AttemptStore {
	constructor(private readonly db: Kysely<Database>) {}

	async counts(keys: string[], now: number): Promise<AttemptCounter[]> {
		if (keys.length === 0) return [];
		const rows = await this.db
			.selectFrom('attempts')
			.select(['key', 'count', 'reset_at'])
			.where('key', 'in', keys)
			.where('reset_at', '>', now)
			.execute();
		return rows.map((row) => ({ key: row.key, count: num(row.count), resetAt: num(row.reset_at) }));
	}

	async add(key: string, now: number, windowMs: number, sliding = false): Promise<void> {
		// One statement, so concurrent failures on any number of instances are all counted: the
		// database applies the update to the locked row, and an ended window starts afresh.
		const end = now + windowMs;
		await this.db
			.insertInto('attempts')
			.values({ key, count: 1, reset_at: end })
			.onConflict((oc) =>
				oc.column('key').doUpdateSet((eb) => {
					const ended = eb('attempts.reset_at', '<=', now);
					return {
						count: eb
							.case()
							.when(ended)
							.then(1)
							.else(eb('attempts.count', '+', 1))
							.end(),
						// A sliding window only moves forward, whatever order instances write in.
						reset_at: sliding
							? eb
									.case()
									.when(eb('attempts.reset_at', '>', end))
									.then(eb.ref('attempts.reset_at'))
									.else(end)
									.end()
							: eb.case().when(ended).then(end).else(eb.ref('attempts.reset_at')).end()
					};
				})
			)
			.execute();
	}

	async deleteEnded(now: number): Promise<number> {
		const result = await this.db.deleteFrom('attempts').where('reset_at', '<=', now).executeTakeFirst();
		return Number(result.numDeletedRows);
	}
}
