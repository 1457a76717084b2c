import { ApiClient } from '../src/lib/api/client';
import { parseShareLink, SHARE_PATH_PREFIX } from '../src/lib/link';
import { promptHidden, readPasswordFrom } from '../server/cli/password-input';
import { CliError, EXIT, usage } from './errors';
import type { CliIo } from './io';
import type { Store } from './store';

/** The server to send to: --server, else SEALDROP_SERVER, else the config file. */
export async function serverOrigin(flag: string | undefined, io: CliIo, store: Store): Promise<string> {
	const raw = flag || io.env.SEALDROP_SERVER || (await store.settings()).server;
	if (!raw) throw usage('No server: pass --server URL, set SEALDROP_SERVER, or run `sealdrop config server URL`.');
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw usage(`Not a server address: ${raw}`);
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') throw usage(`Not an http(s) address: ${raw}`);
	return url.origin;
}

/**
 * An API client for `origin`. Creating shares and requests, and account calls carry the API token
 * (SEALDROP_TOKEN, else the one `sealdrop login` saved); no other request does.
 */
export async function apiFor(origin: string, io: CliIo, store: Store): Promise<ApiClient> {
	const token = io.env.SEALDROP_TOKEN || (await store.settings()).tokens?.[origin];
	const fetchImpl: typeof fetch = (input, init) => {
		const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
		const headers = new Headers(init?.headers);
		const accountCall = /^\/api\/v1\/(shares|requests|me|tokens(\/.*)?|logout)$/.test(url.pathname);
		const creates = !['/api/v1/shares', '/api/v1/requests'].includes(url.pathname) || init?.method === 'POST';
		if (token && accountCall && creates && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
		return io.fetch(input, { ...init, headers });
	};
	return new ApiClient(origin, fetchImpl);
}

/** The share id, key and server of a link; a usage error if it is not one. */
export function parseLink(link: string): { origin: string; id: string; key: string } {
	const parsed = parseShareLink(link);
	if (!parsed) throw usage(`Not a share link: expected https://server${SHARE_PATH_PREFIX}ID#KEY`);
	return { ...parsed, origin: new URL(link).origin };
}

/** Seconds from "90", "90s", "30m", "12h", "7d". */
export function parseDuration(text: string): number {
	const match = /^(\d+)\s*([smhdw]?)$/.exec(text.trim());
	if (!match) throw usage(`Not a duration: ${text} (use e.g. 1h, 1d, 7d)`);
	const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[match[2] as '' | 's'];
	return Number(match[1]) * unit;
}

export function formatDuration(seconds: number): string {
	for (const [unit, size] of [
		['w', 604800],
		['d', 86400],
		['h', 3600],
		['m', 60]
	] as const) {
		if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
	}
	return `${seconds}s`;
}

/** Checks `value` against a server's allowed options, saying which exist. */
export function pick(value: number, options: number[], what: string, show: (n: number) => string): number {
	if (!options.includes(value)) {
		throw new CliError(
			'INVALID_OPTION',
			EXIT.USAGE,
			`This server does not offer ${what} ${show(value)}; it offers ${options.map(show).join(', ')}.`
		);
	}
	return value;
}

/**
 * The password, never from argv: from standard input (--password-stdin) or a prompt with no echo
 * on a terminal. `confirm` asks twice (when choosing one).
 */
export async function readPassword(io: CliIo, opts: { fromStdin: boolean; confirm: boolean; prompt: string }): Promise<string> {
	let password: string;
	if (opts.fromStdin) {
		password = await readPasswordFrom(io.stdin);
	} else {
		if (!io.stdin.isTTY || !io.stdin.setRawMode) {
			throw new CliError('PASSWORD_REQUIRED', EXIT.USAGE, 'A password is needed and there is no terminal to ask on: use --password-stdin.');
		}
		const ask = (prompt: string) =>
			promptHidden(prompt, io.stdin as NodeJS.ReadStream, io.stderr as NodeJS.WriteStream).catch(() => {
				throw new CliError('INTERRUPTED', EXIT.INTERRUPTED, 'Cancelled.');
			});
		password = await ask(opts.prompt);
		if (opts.confirm && (await ask('Repeat the password: ')) !== password) throw usage('The two passwords differ.');
	}
	if (password.length === 0) throw usage('The password is empty.');
	return password;
}

export function formatBytes(n: number): string {
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	while (n >= 1024 && i < units.length - 1) {
		n /= 1024;
		i++;
	}
	return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
