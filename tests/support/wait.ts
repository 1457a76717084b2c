import type { EventEmitter } from 'node:events';

/**
 * Waiting on events and conditions instead of sleeping. Every wait is bounded: it fails with
 * the name of what it waited for, so a broken behaviour shows as a clear timeout, not a hang.
 */

export interface WaitOptions {
	/** What is awaited, for the failure message, e.g. "the 'TLS certificate reloaded' log line". */
	what: string;
	/** 10 s unless told: generous for a loaded 2-core machine, short next to the test timeouts. */
	timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

function timeoutError(options: WaitOptions): Error {
	return new Error(`timed out after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms waiting for ${options.what}`);
}

/** `promise`, or a rejection naming `what` once the time is up. */
export function within<T>(promise: Promise<T>, options: WaitOptions): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const timer = setTimeout(() => reject(timeoutError(options)), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
		promise.then(
			(value) => (clearTimeout(timer), resolve(value)),
			(error: unknown) => (clearTimeout(timer), reject(error as Error))
		);
	});
}

/** The arguments of `emitter`'s next `event`. Listen before causing the event. */
export function nextEvent(emitter: EventEmitter, event: string, options: WaitOptions): Promise<unknown[]> {
	let listener!: (...args: unknown[]) => void;
	const next = new Promise<unknown[]>((resolve) => {
		listener = (...args) => resolve(args);
		emitter.once(event, listener);
	});
	return within(next, options).finally(() => emitter.off(event, listener));
}

/**
 * Resolves with the first truthy value of `check`, evaluated now and again each time one of
 * `emitters` emits `event` (e.g. each chunk a child process writes to stdout).
 */
export function until<T>(
	check: () => T | undefined | null | false,
	emitters: EventEmitter[],
	event: string,
	options: WaitOptions
): Promise<T> {
	let listener: (() => void) | undefined;
	const met = new Promise<T>((resolve, reject) => {
		listener = () => {
			try {
				const value = check();
				if (value) resolve(value);
			} catch (error) {
				reject(error as Error);
			}
		};
		for (const emitter of emitters) emitter.on(event, listener);
		listener();
	});
	return within(met, options).finally(() => {
		for (const emitter of emitters) emitter.off(event, listener!);
	});
}

/**
 * For a state nothing announces (a PostgreSQL lock wait): re-runs the async `check` until it
 * is true, back to back (each check is a round trip, which paces the loop), within the time.
 */
export async function condition(check: () => Promise<boolean>, options: WaitOptions): Promise<void> {
	const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
	while (!(await check())) {
		if (Date.now() > deadline) throw timeoutError(options);
	}
}

/**
 * Resolves once every microtask queued so far (and those they queue) has run: the point where
 * code driven only by promises, such as a web stream with no I/O behind it, can go no further
 * until something outside it happens. Not a delay: no time is waited.
 */
export function quiescent(): Promise<void> {
	return new Promise((resolve) => setImmediate(resolve));
}
