import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttemptLimiter } from '../../../server/shares/attempts';
import { FakeClock } from '../../server/helpers';
import { CliHarness, fileSha, sha } from './harness';

const MiB = 1024 * 1024;
const HOUR = 3600_000;

/** A fetch whose blob responses stop after `after` bytes, as if Ctrl-C was pressed then. */
function stopBlobAfter(after: number, controller: AbortController, realFetch: typeof fetch): typeof fetch {
	return async (input, init) => {
		const res = await realFetch(input, init);
		if (!/\/blob$/.test(new URL(input instanceof Request ? input.url : String(input)).pathname)) return res;
		const reader = res.body!.getReader();
		let sent = 0;
		const body = new ReadableStream<Uint8Array>({
			async pull(c) {
				if (sent >= after) {
					controller.abort();
					c.error(new TypeError('stopped by the test'));
					await reader.cancel();
					return;
				}
				const { done, value } = await reader.read();
				if (done) c.close();
				else {
					sent += value.length;
					c.enqueue(value);
				}
			}
		});
		return new Response(body, { status: res.status, headers: res.headers });
	};
}

/** Sessions that run out between runs, and a server that makes the person wait: what `get` says. */
describe('sealdrop get across runs and locks', () => {
	const clock = new FakeClock(Date.now());
	const h = new CliHarness();
	beforeAll(() => h.start({}, { clock }));
	afterAll(() => h.close());
	const claims = () => h.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/claim')).length;

	it('a download continued after its ticket ran out says so (exit 4), spends nothing; the next run claims anew and continues', async () => {
		const bytes = randomBytes(4 * MiB);
		await h.write('exp/e.bin', bytes);
		const link = (await h.run(['send', 'exp/e.bin', '--expires', '1d', '--downloads', '2'])).stdout.trim();
		const before = claims();

		const controller = new AbortController();
		// The blob is read by the engine's own client (global fetch), so that is where it is stopped.
		const realFetch = globalThis.fetch;
		globalThis.fetch = stopBlobAfter(MiB, controller, realFetch);
		const first = await h.run(['get', link, '-o', 'exp-out'], { signal: controller.signal }).finally(() => (globalThis.fetch = realFetch));
		expect(first.code, first.stderr).toBe(130);
		expect((await readdir(h.path('exp-out'))).filter((n) => n.endsWith('.part'))).toHaveLength(1);
		expect(claims()).toBe(before + 1);

		clock.advance(7 * HOUR); // past the ticket's 6 hours, well inside the share's day
		const second = await h.run(['get', link, '-o', 'exp-out']);
		expect(second.code).toBe(4);
		expect(second.stderr).toContain('[TICKET_INVALID]');
		expect(second.stderr).toContain('Run the same command again to start over: that spends another download');
		expect(claims()).toBe(before + 1); // nothing spent without being asked
		expect((await readdir(h.path('exp-out'))).filter((n) => n.endsWith('.part'))).toHaveLength(1);

		const third = await h.run(['get', link, '-o', 'exp-out']);
		expect(third.code, third.stderr).toBe(0);
		expect(await fileSha(h.path('exp-out/e.bin'))).toBe(sha(bytes));
		expect(claims()).toBe(before + 2);
		// It continued from the verified bytes of the first run, not from 0.
		const last = h.requests.filter((r) => r.url.endsWith('/blob')).at(-1)!;
		expect(Number(/^bytes=(\d+)-/.exec(last.range ?? '')?.[1])).toBeGreaterThan(0);
	}, 60_000);

	it('PASSWORD_LOCKED and CLIENT_LOCKED exit 5 and say how long to wait', async () => {
		await h.write('lock/l.txt', 'locked away');
		const sent = await h.run(['send', 'lock/l.txt', '--password-stdin', '--json'], { stdin: 'the password\n' });
		expect(sent.code, sent.stderr).toBe(0);
		const { link, id } = JSON.parse(sent.stdout) as { link: string; id: string };
		// Wrong guesses recorded in the server's own store, as its unlock route records them (no Argon2 for each).
		const limiter = new AttemptLimiter(h.server.meta.attempts, clock);
		for (let i = 0; i < 20; i++) await limiter.fail({ id, header: null }, undefined);

		const share = await h.run(['get', link, '-o', 'lock-out', '--password-stdin'], { stdin: 'the password\n' });
		expect(share.code).toBe(5);
		expect(share.stderr).toContain('[PASSWORD_LOCKED]');
		expect(share.stderr).toMatch(/try again in 5 min\./);

		for (let i = 0; i < 10; i++) await limiter.fail({ id: 'another-share', header: null }, '127.0.0.1');
		const client = await h.run(['get', link, '-o', 'lock-out', '--password-stdin'], { stdin: 'the password\n' });
		expect(client.code).toBe(5);
		expect(client.stderr).toContain('[CLIENT_LOCKED]');
		expect(client.stderr).toMatch(/try again in 10 min\./);
	}, 60_000);
});
