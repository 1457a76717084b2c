import { describe, expect, it } from 'vitest';
import { progressStep } from '../../src/lib/announce';

describe('progressStep', () => {
	it('moves in steps of 10 %, so a live region speaks ten times, not a hundred', () => {
		const steps = new Set<number>();
		for (let done = 0; done <= 1000; done++) steps.add(progressStep({ done, total: 1000 }));
		expect([...steps]).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
		expect(progressStep({ done: 99, total: 1000 })).toBe(0);
		expect(progressStep({ done: 100, total: 1000 })).toBe(10);
		expect(progressStep({ done: 999, total: 1000 })).toBe(90);
	});

	it('an empty transfer (a message alone) is complete; overshoot stays at 100', () => {
		expect(progressStep({ done: 0, total: 0 })).toBe(100);
		expect(progressStep({ done: 1200, total: 1000 })).toBe(100);
	});
});
