import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { until } from './wait';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A Sealdrop server running as its own process, from source or from the bundle `npm start` runs. */
export interface Instance {
	url: string;
	port: number;
	/** Its process id (to send it signals). */
	pid: number;
	/** Its JSON log lines so far (stdout). */
	lines(): Record<string, unknown>[];
	/** Its stdout: 'data' after each chunk of log lines has been added to lines(). */
	output: Readable;
	/**
	 * Its first log line matching `predicate`, among lines() from index `from` on (all by
	 * default): checked now and on each new chunk of output; fails after timeoutMs (10 s).
	 */
	waitForLine(
		predicate: (line: Record<string, unknown>) => boolean,
		what: string,
		options?: { from?: number; timeoutMs?: number }
	): Promise<Record<string, unknown>>;
	/** Everything it wrote to stderr so far. */
	stderr(): string;
	/** SIGTERM, then waits for it to exit (SIGKILL after 15 s). */
	stop(): Promise<void>;
}

/** The variables a child gets: ours on top of a parent environment without any SEALDROP_* or NODE_OPTIONS. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
	const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SEALDROP_') && name !== 'NODE_OPTIONS'));
	return { ...base, SEALDROP_HOST: '127.0.0.1', SEALDROP_PORT: '0', ...env };
}

/** `source`: the TypeScript through tsx. `bundle`: dist/server.js, what `npm start` runs (needs `npm run build`). */
export type Entry = 'source' | 'bundle';

const ENTRY_ARGS: Record<Entry, string[]> = {
	source: ['--import', 'tsx', 'server/main.ts'],
	bundle: ['--enable-source-maps', 'dist/server.js']
};

function launch(env: Record<string, string>, entry: Entry = 'source'): { child: ChildProcess; stdout: string[]; stderr: string[] } {
	const child = spawn(process.execPath, ENTRY_ARGS[entry], {
		cwd: ROOT,
		env: childEnv(env),
		stdio: ['ignore', 'pipe', 'pipe']
	});
	const stdout: string[] = [];
	const stderr: string[] = [];
	child.stdout?.setEncoding('utf8').on('data', (text: string) => stdout.push(text));
	child.stderr?.setEncoding('utf8').on('data', (text: string) => stderr.push(text));
	return { child, stdout, stderr };
}

function parseLines(chunks: string[]): Record<string, unknown>[] {
	const lines: Record<string, unknown>[] = [];
	for (const line of chunks.join('').split('\n')) {
		if (!line.startsWith('{')) continue; // the "Sealdrop listening on …" banner
		try {
			lines.push(JSON.parse(line) as Record<string, unknown>);
		} catch {
			// A line still being written.
		}
	}
	return lines;
}

/** Starts an instance and resolves once it listens; rejects with its stderr if it exits first. */
export async function startInstance(
	env: Record<string, string>,
	{ entry = 'source', timeoutMs = 60_000 }: { entry?: Entry; timeoutMs?: number } = {}
): Promise<Instance> {
	const { child, stdout, stderr } = launch(env, entry);
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	const port = await new Promise<number>((resolve, reject) => {
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`instance did not start in ${timeoutMs} ms: ${stderr.join('')}`));
		}, timeoutMs);
		const check = () => {
			const listening = parseLines(stdout).find((line) => line.msg === 'listening');
			if (listening) {
				clearTimeout(timer);
				child.stdout?.off('data', check);
				resolve(Number(listening.port));
			}
		};
		child.stdout?.on('data', check);
		child.once('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`instance exited (${code}) before listening: ${stderr.join('')}`));
		});
	});
	return {
		url: `http://127.0.0.1:${port}`,
		port,
		pid: child.pid ?? 0,
		lines: () => parseLines(stdout),
		output: child.stdout!,
		waitForLine: (predicate, what, { from = 0, timeoutMs } = {}) =>
			until(() => parseLines(stdout).slice(from).find(predicate), [child.stdout!], 'data', {
				what: `${what} in the instance's log`,
				timeoutMs
			}),
		stderr: () => stderr.join(''),
		async stop() {
			if (child.exitCode !== null || child.signalCode !== null) return;
			const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
			child.kill('SIGTERM');
			await exited;
			clearTimeout(force);
		}
	};
}

/** Runs an instance expected to fail at start-up; resolves with its exit code and output. */
export async function runUntilExit(
	env: Record<string, string>,
	timeoutMs = 60_000
): Promise<{ code: number | null; stdout: string; stderr: string }> {
	const { child, stdout, stderr } = launch(env);
	const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
	const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
	clearTimeout(timer);
	return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}
