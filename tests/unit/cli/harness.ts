import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { run } from '../../../cli/main';
import type { CliIo } from '../../../cli/io';
import { startSealdrop, type RunningSealdrop, type StartOverrides } from '../../../server/start';
import { captureLogs, listeningConfig, tempDir } from '../../server/helpers';

export interface CliResult {
	code: number;
	stdout: string;
	stdoutBytes: Buffer;
	stderr: string;
}

/** A real server on 127.0.0.1 and a config folder of its own for the CLI. */
export class CliHarness {
	server!: RunningSealdrop;
	dir!: string;
	configHome!: string;
	/** Every request the server received: method and path. */
	requests: { method: string; url: string; range?: string }[] = [];

	async start(env: Record<string, string> = {}, overrides: Pick<StartOverrides, 'clock'> = {}): Promise<this> {
		this.dir = await tempDir('sealdrop-cli-');
		this.configHome = join(this.dir, 'config');
		this.server = await startSealdrop(listeningConfig(this.dir, env), { logger: captureLogs().logger, ...overrides });
		this.server.httpServer.on('request', (req) => this.requests.push({ method: req.method!, url: req.url!, range: req.headers.range }));
		return this;
	}

	async close(): Promise<void> {
		await this.server.close();
		await rm(this.dir, { recursive: true, force: true });
	}

	path = (...parts: string[]) => join(this.dir, ...parts);

	async write(rel: string, content: string | Buffer): Promise<string> {
		const path = this.path(rel);
		await mkdir(join(path, '..'), { recursive: true });
		await writeFile(path, content);
		return path;
	}

	/** Runs one command line in-process, with SEALDROP_SERVER set to this server. */
	async run(
		args: string[],
		opts: { stdin?: string | Buffer; env?: Record<string, string>; fetch?: typeof fetch; signal?: AbortSignal } = {}
	): Promise<CliResult> {
		const stdout = new PassThrough();
		const stderr = new PassThrough();
		const out: Buffer[] = [];
		const err: Buffer[] = [];
		stdout.on('data', (c: Buffer) => out.push(c));
		stderr.on('data', (c: Buffer) => err.push(c));
		const io: CliIo = {
			stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]),
			stdout,
			stderr,
			env: { XDG_CONFIG_HOME: this.configHome, SEALDROP_SERVER: this.server.url, ...opts.env },
			cwd: this.dir,
			fetch: opts.fetch ?? ((...a) => globalThis.fetch(...a)),
			now: () => Date.now(),
			signal: opts.signal
		};
		const code = await run(args, io);
		const stdoutBytes = Buffer.concat(out);
		return { code, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr: Buffer.concat(err).toString('utf8') };
	}
}

export const sha = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('hex');
export const fileSha = async (path: string) => sha(await readFile(path));
