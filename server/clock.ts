/** Milliseconds since the Unix epoch. Injected so tests can move time without sleeping. */
export interface Clock {
	now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
