import { hostname } from 'node:os';
import { ApiClient } from '../../src/lib/api/client';
import { readPassword, serverOrigin } from '../common';
import { usage } from '../errors';
import { write, type CliIo } from '../io';
import type { Store } from '../store';

/**
 * Logs in once with the account's password and keeps an API token (not the password, not the
 * session) in the config file for this server. The session cookie lives only for these requests.
 */
export async function login(opts: { name?: string; server?: string; passwordStdin: boolean }, io: CliIo, store: Store): Promise<number> {
	if (!opts.name) throw usage('Give the account name: sealdrop login NAME');
	const origin = await serverOrigin(opts.server, io, store);
	let cookie = '';
	// Cookie-authenticated writes need a same-origin proof (docs/API.md, CSRF rule): Origin is the server's.
	const fetchImpl: typeof fetch = async (input, init) => {
		const headers = new Headers(init?.headers);
		headers.set('origin', origin);
		if (cookie) headers.set('cookie', cookie);
		const res = await io.fetch(input, { ...init, headers });
		const set = res.headers.getSetCookie().find((c) => c.startsWith('__Host-sealdrop_session='));
		if (set) cookie = set.split(';')[0]!;
		return res;
	};
	const api = new ApiClient(origin, fetchImpl);
	const password = await readPassword(io, { fromStdin: opts.passwordStdin, confirm: false, prompt: `Password for ${opts.name}: ` });
	await api.login(opts.name, password, { signal: io.signal });
	try {
		const created = await api.createToken(`sealdrop CLI on ${hostname()}`, { signal: io.signal });
		const settings = await store.settings();
		await store.saveSettings({ ...settings, tokens: { ...settings.tokens, [origin]: created.token } });
	} finally {
		await api.logout().catch(() => {});
	}
	await write(io.stderr, `Logged in to ${origin} as ${opts.name}; an API token is saved in the config file.\n`);
	return 0;
}

export async function logout(opts: { server?: string }, io: CliIo, store: Store): Promise<number> {
	const origin = await serverOrigin(opts.server, io, store);
	const settings = await store.settings();
	const tokens = { ...settings.tokens };
	delete tokens[origin];
	await store.saveSettings({ ...settings, tokens });
	await write(io.stderr, `Forgot the API token for ${origin} (revoke it on the server's account page if it may leak).\n`);
	return 0;
}
