import type { Readable, Writable } from 'node:stream';

/** Everything the CLI takes from its process, passed in so that tests run it without spawning. */
export interface CliIo {
	stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
	stdout: Writable & { isTTY?: boolean };
	stderr: Writable & { isTTY?: boolean; columns?: number };
	env: Record<string, string | undefined>;
	/** Working directory for relative paths. */
	cwd: string;
	fetch: typeof fetch;
	now: () => number;
	/** Aborted on Ctrl-C: transfers stop and keep their state for a later resume. */
	signal?: AbortSignal;
}

export function processIo(signal?: AbortSignal): CliIo {
	return {
		stdin: process.stdin,
		stdout: process.stdout,
		stderr: process.stderr,
		env: process.env,
		cwd: process.cwd(),
		fetch: (...args) => globalThis.fetch(...args),
		now: () => Date.now(),
		signal
	};
}

/** Writes and waits until the stream took it (keeps stdout ordered and bounded). */
export function write(stream: Writable, text: string | Uint8Array): Promise<void> {
	return new Promise((resolve, reject) => {
		stream.write(text, (err) => (err ? reject(err) : resolve()));
	});
}
