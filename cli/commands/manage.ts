import { ApiClient } from '../../src/lib/api/client';
import { layoutForCipherSize } from '../../src/lib/crypto';
import { readShareHeader } from '../../src/lib/transfer/download';
import { formatBytes, formatDuration, parseDuration, parseLink, pick, serverOrigin } from '../common';
import { CliError, EXIT, usage } from '../errors';
import { write, type CliIo } from '../io';
import type { HistoryEntry, Store } from '../store';
import { openLink } from './get';

/** The history entry for a link or a share id sent from this machine. */
async function entryFor(target: string, store: Store): Promise<HistoryEntry> {
	const id = target.includes('/') ? parseLink(target).id : target;
	const entry = (await store.history()).find((e) => e.id === id);
	if (!entry) {
		throw new CliError(
			'NOT_IN_HISTORY',
			EXIT.USAGE,
			`Share ${id} was not sent from this machine (no owner token in the history); only its sender can change it.`
		);
	}
	return entry;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Public info (size, expiry, downloads left) and, once the keys open it, the file list. A share
 * with a password shows its files only with --password or --password-stdin.
 */
export async function info(opts: { link: string; ask: boolean; passwordStdin: boolean; json: boolean }, io: CliIo): Promise<number> {
	const { origin, id, key } = parseLink(opts.link);
	const { info: i, header } = await readShareHeader(new ApiClient(origin, io.fetch), id, key, { signal: io.signal });
	const locked = header.kdf !== null && !opts.ask && !opts.passwordStdin;
	const metadata = locked ? null : (await openLink(opts.link, io, opts.passwordStdin)).share.metadata;
	const out = {
		id,
		size: layoutForCipherSize(i.size, header.recordSize).plainSize,
		expiresAt: iso(i.expiresAt),
		downloadsLeft: i.downloadsLeft,
		maxDownloads: i.maxDownloads,
		password: header.kdf !== null,
		// Unknown (null) until the password opens the share.
		note: metadata ? Boolean(metadata.noteBytes || metadata.note) : null,
		files: metadata ? metadata.files.map((f) => ({ name: f.name, size: f.size, type: f.type })) : null
	};
	if (opts.json) {
		await write(io.stdout, JSON.stringify(out) + '\n');
	} else {
		const lines = [
			`Share ${out.id}: ${formatBytes(out.size)}, expires ${out.expiresAt}, ${out.downloadsLeft} of ${out.maxDownloads} downloads left${out.password ? ', password' : ''}${out.note ? ', with a note' : ''}`,
			...(out.files ? out.files.map((f) => `  ${f.name}  (${formatBytes(f.size)})`) : ['  (files hidden: add --password to see them)'])
		];
		await write(io.stdout, lines.join('\n') + '\n');
	}
	return 0;
}

export async function list(opts: { json: boolean; showLinks: boolean }, io: CliIo, store: Store): Promise<number> {
	const entries = await store.history();
	const now = io.now();
	// Links carry the key: shown only when asked. Owner tokens never leave the history file.
	const rows = entries.map((e) => ({
		id: e.id,
		server: e.server,
		...(opts.showLinks && { link: e.link }),
		names: e.names,
		size: e.size,
		expiresAt: iso(e.expiresAt),
		expired: e.expiresAt <= now,
		maxDownloads: e.maxDownloads,
		sentAt: iso(e.sentAt)
	}));
	if (opts.json) {
		await write(io.stdout, JSON.stringify(rows) + '\n');
	} else if (rows.length === 0) {
		await write(io.stderr, 'Nothing sent from this machine yet.\n');
	} else {
		const text = rows.map(
			(r) =>
				`${r.id}  ${r.expired ? 'expired' : `expires ${r.expiresAt}`}  ${formatBytes(r.size)}  ${r.names.join(', ') || '(note)'}${r.link ? `\n  ${r.link}` : ''}`
		);
		await write(io.stdout, text.join('\n') + '\n');
	}
	return 0;
}

export async function remove(opts: { target: string; json: boolean }, io: CliIo, store: Store): Promise<number> {
	const entry = await entryFor(opts.target, store);
	try {
		await new ApiClient(entry.server, io.fetch).deleteShare(entry.id, entry.ownerToken, { signal: io.signal });
	} catch (err) {
		// Gone already: forget it here too, then report.
		if (err instanceof Error && 'code' in err && ['NOT_FOUND', 'DELETED', 'EXPIRED'].includes(String(err.code)))
			await store.updateHistory(entry.id, null);
		throw err;
	}
	await store.updateHistory(entry.id, null);
	await write(io.stdout, opts.json ? JSON.stringify({ id: entry.id, deleted: true }) + '\n' : `Deleted ${entry.id}.\n`);
	return 0;
}

export async function update(
	opts: { target: string; expires?: string; downloads?: string; json: boolean },
	io: CliIo,
	store: Store
): Promise<number> {
	const entry = await entryFor(opts.target, store);
	const api = new ApiClient(entry.server, io.fetch);
	const config = await api.config({ signal: io.signal });
	const body = {
		...(opts.expires !== undefined && {
			expiresIn: pick(parseDuration(opts.expires), config.expiry.options, 'an expiry of', formatDuration)
		}),
		...(opts.downloads !== undefined && {
			maxDownloads: pick(Number(opts.downloads), config.downloads.options, 'a download limit of', String)
		})
	};
	const res = await api.updateShare(entry.id, entry.ownerToken, body, { signal: io.signal });
	await store.updateHistory(entry.id, { expiresAt: res.expiresAt, maxDownloads: res.maxDownloads });
	const out = { id: res.id, expiresAt: iso(res.expiresAt), maxDownloads: res.maxDownloads, downloads: res.downloads };
	await write(
		io.stdout,
		opts.json
			? JSON.stringify(out) + '\n'
			: `Share ${out.id}: expires ${out.expiresAt}, ${out.downloads} of ${out.maxDownloads} downloads used.\n`
	);
	return 0;
}

/** `sealdrop config server URL`: the default server. */
export async function setConfig(opts: { key?: string; value?: string }, io: CliIo, store: Store): Promise<number> {
	const settings = await store.settings();
	if (opts.key === undefined) {
		await write(io.stdout, `server ${settings.server ?? '(none)'}\n`);
		return 0;
	}
	if (opts.key !== 'server') throw usage(`Unknown setting ${opts.key}: the only one is "server".`);
	if (opts.value === undefined) throw usage('Give the server address: sealdrop config server URL');
	const origin = await serverOrigin(opts.value, io, store);
	await store.saveSettings({ ...settings, server: origin });
	await write(io.stderr, `Default server: ${origin}\n`);
	return 0;
}
