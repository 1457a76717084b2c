import { describe, expect, it } from 'vitest';
import { bearer, createHarness, outcome, readyShare } from './helpers';

describe('claims under concurrency', () => {
	it('50 simultaneous claims on a limit-5 share give exactly 5 tickets', async () => {
		const h = await createHarness();
		try {
			const share = await readyShare(h, { maxDownloads: 5 });
			const responses = await Promise.all(
				Array.from({ length: 50 }, () => h.api(`/shares/${share.id}/claim`, { method: 'POST', headers: bearer(share.readToken) }))
			);
			const outcomes = await Promise.all(responses.map((r) => outcome(r.clone())));
			expect(outcomes.filter((o) => o === '200')).toHaveLength(5);
			expect(outcomes.filter((o) => o === '410 DOWNLOAD_LIMIT_REACHED')).toHaveLength(45);
			const tickets = await Promise.all(
				responses.filter((r) => r.status === 200).map(async (r) => (await r.json()) as { ticket: string; downloads: number })
			);
			expect(new Set(tickets.map((t) => t.ticket)).size).toBe(5);
			expect(tickets.map((t) => t.downloads).sort()).toEqual([1, 2, 3, 4, 5]);
			expect((await h.meta.shares.get(share.id))?.downloads).toBe(5);
			expect(h.logs.lines.filter((l) => l.audit === 'share.claim')).toHaveLength(5);
			for (const { ticket } of tickets) expect((await h.api(`/shares/${share.id}/blob`, { headers: bearer(ticket) })).status).toBe(200);
		} finally {
			await h.close();
		}
	});
});
