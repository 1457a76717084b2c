import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { get } from './commands/get';
import { login, logout } from './commands/login';
import { info, list, remove, setConfig, update } from './commands/manage';
import { keyExport, keyImport, requestClose, requestCreate, requestGet, requestList, submit } from './commands/requests';
import { send } from './commands/send';
import { CliError, EXIT, toCliError, usage } from './errors';
import { HELP } from './help';
import { write, type CliIo } from './io';
import { configDir, Store } from './store';
import { exists } from './writer';

type Options = NonNullable<ParseArgsConfig['options']>;
const flag = { type: 'boolean' } as const;
const text = { type: 'string' } as const;
const common: Options = { help: { ...flag, short: 'h' }, json: flag };

const OPTIONS: Record<string, Options> = {
	send: {
		...common,
		server: text,
		expires: text,
		downloads: text,
		password: flag,
		'password-stdin': flag,
		note: text,
		name: text,
		qr: flag,
		quiet: { ...flag, short: 'q' }
	},
	get: {
		...common,
		output: { ...text, short: 'o' },
		file: text,
		stdout: flag,
		force: flag,
		password: flag,
		'password-stdin': flag,
		quiet: { ...flag, short: 'q' }
	},
	info: { ...common, password: flag, 'password-stdin': flag },
	list: { ...common, links: flag },
	delete: common,
	extend: { ...common, expires: text },
	limit: { ...common, downloads: text },
	login: { ...common, server: text, 'password-stdin': flag },
	logout: { ...common, server: text },
	config: common,
	'request create': {
		...common,
		title: text,
		message: text,
		expires: text,
		'max-submissions': text,
		'max-size': text,
		server: text
	},
	'request list': common,
	'request get': { ...common, output: { ...text, short: 'o' }, force: flag, quiet: { ...flag, short: 'q' } },
	'request close': common,
	submit: { ...common, note: text, quiet: { ...flag, short: 'q' } },
	'key export': { ...common, output: { ...text, short: 'o' }, 'passphrase-stdin': flag },
	'key import': { ...common, 'passphrase-stdin': flag }
};

/** Commands with subcommands: `request create`, `key export`… */
const GROUPS: Record<string, string[]> = { request: ['create', 'list', 'get', 'close'], key: ['export', 'import'] };

const PASSWORD_ARGV =
	'Passwords are never taken from the command line (other users see it in the process list, and it stays in shell history): ' +
	'use --password to be asked, or --password-stdin.';

/** `--password=VALUE`, or `--password VALUE` where VALUE is not something to send, is refused with the reason. */
async function refusePasswordValue(command: string, args: string[], positionals: string[], limit: number, cwd: string): Promise<void> {
	if (args.some((a) => a.startsWith('--password='))) throw usage(PASSWORD_ARGV);
	const at = args.indexOf('--password');
	const next = args[at + 1];
	if (at === -1 || next === undefined || next.startsWith('-')) return;
	// For send a following argument may be a file to send; for the others nothing may follow.
	const refused = command === 'send' ? !(await exists(resolve(cwd, next))) : positionals.length > limit;
	if (refused) throw usage(PASSWORD_ARGV);
}

/**
 * Share and request ids are 22 base64url characters and may start with "-": parseArgs would take
 * `-Hx…` for options. They are moved after a `--`, where nothing is an option (no option is
 * 22 such characters long).
 */
function idsAsPositionals(args: string[]): string[] {
	const end = args.indexOf('--');
	const head = end === -1 ? args : args.slice(0, end);
	const isId = (a: string) => a.startsWith('-') && /^[A-Za-z0-9_-]{22}$/.test(a);
	const ids = head.filter(isId);
	if (ids.length === 0) return args;
	return [...head.filter((a) => !isId(a)), '--', ...ids, ...(end === -1 ? [] : args.slice(end + 1))];
}

/** Runs one command line; returns the exit code. Never throws. */
export async function run(argv: string[], io: CliIo): Promise<number> {
	const [first, ...rest] = argv;
	try {
		if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
			await write(first === undefined ? io.stderr : io.stdout, HELP.main!);
			return first === undefined ? EXIT.USAGE : EXIT.OK;
		}
		if (first === '--version' || first === '-v') {
			await write(io.stdout, `${typeof __SEALDROP_VERSION__ === 'string' ? __SEALDROP_VERSION__ : 'dev'}\n`);
			return EXIT.OK;
		}
		let command = first;
		let args = rest;
		if (GROUPS[first]) {
			const [sub, ...more] = rest;
			if (sub === undefined || sub === '--help' || sub === '-h') {
				await write(sub === undefined ? io.stderr : io.stdout, HELP[first]!);
				return sub === undefined ? EXIT.USAGE : EXIT.OK;
			}
			if (!GROUPS[first].includes(sub)) throw usage(`Unknown command ${first} ${sub}. Run \`sealdrop ${first} --help\`.`);
			command = `${first} ${sub}`;
			args = more;
		}
		const options = OPTIONS[command];
		if (!options) throw usage(`Unknown command ${command}. Run \`sealdrop --help\`.`);
		let parsed;
		try {
			parsed = parseArgs({ args: idsAsPositionals(args), options, allowPositionals: true, strict: true });
		} catch (err) {
			if (args.some((a) => a.startsWith('--password='))) throw usage(PASSWORD_ARGV);
			throw usage(`${(err as Error).message}. Run \`sealdrop ${command} --help\`.`);
		}
		const v = parsed.values as Record<string, string | boolean | undefined>;
		const pos = parsed.positionals;
		if (v.help) {
			await write(io.stdout, HELP[command] ?? HELP[first]!);
			return EXIT.OK;
		}
		const limits: Record<string, number> = {
			get: 1,
			info: 1,
			delete: 1,
			extend: 1,
			limit: 1,
			login: 1,
			'request get': 1,
			'request close': 1,
			'key export': 1,
			'key import': 1
		};
		await refusePasswordValue(command, args, pos, limits[command] ?? 0, io.cwd);
		const max = limits[command] ?? (command === 'config' ? 2 : command === 'send' || command === 'submit' ? Infinity : 0);
		if (pos.length > max)
			throw usage(`Too many arguments for ${command}: ${pos.slice(max).join(' ')}. Run \`sealdrop ${command} --help\`.`);
		const needs = (what: string) => {
			if (pos.length === 0) throw usage(`Give the ${what}. Run \`sealdrop ${command} --help\`.`);
			return pos[0]!;
		};
		const store = new Store(configDir(io.env));
		const json = Boolean(v.json);
		const str = (k: string) => v[k] as string | undefined;
		const bool = (k: string) => Boolean(v[k]);
		switch (command) {
			case 'send':
				return await send(
					{
						paths: pos,
						server: str('server'),
						expires: str('expires'),
						downloads: str('downloads'),
						password: bool('password'),
						passwordStdin: bool('password-stdin'),
						note: str('note'),
						name: str('name'),
						qr: bool('qr'),
						json,
						quiet: bool('quiet')
					},
					io,
					store
				);
			case 'get':
				return await get(
					{
						link: needs('link'),
						output: str('output'),
						file: str('file'),
						stdout: bool('stdout'),
						force: bool('force'),
						passwordStdin: bool('password-stdin'),
						json,
						quiet: bool('quiet')
					},
					io,
					store
				);
			case 'info':
				return await info({ link: needs('link'), ask: bool('password'), passwordStdin: bool('password-stdin'), json }, io);
			case 'list':
				return await list({ json, showLinks: bool('links') }, io, store);
			case 'delete':
				return await remove({ target: needs('link or id'), json }, io, store);
			case 'extend':
				if (!v.expires) throw usage('Give the new expiry: --expires TIME (e.g. 1d).');
				return await update({ target: needs('link or id'), expires: str('expires'), json }, io, store);
			case 'limit':
				if (!v.downloads) throw usage('Give the new limit: --downloads N.');
				return await update({ target: needs('link or id'), downloads: str('downloads'), json }, io, store);
			case 'login':
				return await login({ name: pos[0], server: str('server'), passwordStdin: bool('password-stdin') }, io, store);
			case 'logout':
				return await logout({ server: str('server') }, io, store);
			case 'config':
				return await setConfig({ key: pos[0], value: pos[1] }, io, store);
			case 'request create':
				return await requestCreate(
					{
						title: str('title'),
						message: str('message'),
						expires: str('expires'),
						maxSubmissions: str('max-submissions'),
						maxSize: str('max-size'),
						server: str('server'),
						json
					},
					io,
					store
				);
			case 'request list':
				return await requestList({ json }, io, store);
			case 'request get':
				return await requestGet(
					{ target: needs('link or id'), output: str('output'), force: bool('force'), json, quiet: bool('quiet') },
					io,
					store
				);
			case 'request close':
				return await requestClose({ target: needs('link or id'), json }, io, store);
			case 'submit':
				return await submit({ link: needs('request link'), paths: pos.slice(1), note: str('note'), json, quiet: bool('quiet') }, io, store);
			case 'key export':
				return await keyExport(
					{ target: needs('request id'), output: str('output'), passphraseStdin: bool('passphrase-stdin') },
					io,
					store
				);
			case 'key import':
				return await keyImport({ file: needs('key file'), passphraseStdin: bool('passphrase-stdin') }, io, store);
		}
		throw new CliError('INTERNAL', EXIT.INTERNAL, `unhandled command ${command}`);
	} catch (err) {
		const e = io.signal?.aborted
			? new CliError('INTERRUPTED', EXIT.INTERRUPTED, 'Interrupted; run the same command again to continue.')
			: toCliError(err);
		// Only the message and code: never the arguments, which may hold a link.
		await write(io.stderr, `sealdrop: ${e.message} [${e.code}]\n`).catch(() => {});
		return e.exit;
	}
}

declare const __SEALDROP_VERSION__: string | undefined;
