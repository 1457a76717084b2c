import { describe, expect, it } from 'vitest';
import { ProgressMeter, REPORT_INTERVAL_MS, type Progress } from '../../../src/lib/transfer/progress';

/** A meter over `total` bytes on a clock the test moves; returns what the listener heard. */
function meter(total: number) {
	let t = 0;
	const heard: Progress[] = [];
	const m = new ProgressMeter(
		total,
		(p) => heard.push(p),
		() => t
	);
	return { m, heard, advance: (ms: number) => (t += ms) };
}

describe('ProgressMeter', () => {
	it('tells the page at most once per interval however many chunks arrive', () => {
		const { m, heard, advance } = meter(1000);
		for (let i = 0; i < 50; i++) {
			m.add(1);
			advance(REPORT_INTERVAL_MS / 10);
		}
		// 50 chunks over five intervals: the first one and one per interval after it.
		expect(heard.map((p) => p.done)).toEqual([1, 11, 21, 31, 41]);
	});

	it('always reports the end, even straight after another report', () => {
		const { m, heard } = meter(10);
		m.add(4);
		m.add(6);
		expect(heard.at(-1)).toMatchObject({ done: 10, total: 10, secondsLeft: 0 });
	});

	it('reports the current count on demand, so a pause shows what did arrive', () => {
		const { m, heard } = meter(100);
		m.add(10);
		m.add(20);
		expect(heard.at(-1)?.done).toBe(10);
		m.report();
		expect(heard.at(-1)?.done).toBe(30);
	});

	it('measures speed and time left over the recent window', () => {
		const { m, heard, advance } = meter(3000);
		advance(1000);
		m.add(1000);
		advance(1000);
		m.add(1000);
		expect(heard.at(-1)).toMatchObject({ done: 2000, bytesPerSecond: 1000, secondsLeft: 1 });
	});
});
