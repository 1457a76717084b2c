import { open, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
	DEFAULT_RECORD_SIZE,
	exportRequestKey,
	fromBase64Url,
	generateRequestKeyPair,
	importRequestKey,
	importRequestPrivateKey,
	layoutForPlainSize,
	toBase64Url,
	zipPaths,
	type RequestKeyPair
} from '../../src/lib/crypto';
import {
	closeFileRequest,
	createFileRequest,
	listSubmissions,
	openFileRequest,
	openSubmission,
	requestLink,
	submitFiles
} from '../../src/lib/transfer/requests';
import type { UploadDeps } from '../../src/lib/transfer/upload';
import { memoryPendingUploads } from '../../src/lib/uploads/pending-uploads';
import { apiFor, formatBytes, formatDuration, parseDuration, pick, readPassword, serverOrigin } from '../common';
import { CliError, EXIT, localIo, usage } from '../errors';
import { write, type CliIo } from '../io';
import { DiskSource, nodeBackend } from '../node-backend';
import { progressBar } from '../progress';
import { collectSources } from '../sources';
import type { RequestEntry, Store } from '../store';
import { receive, type SavedFile } from './get';

const REQUEST_LINK = /^(https?:\/\/[^/#?]+)\/r\/([A-Za-z0-9_-]{22})#([A-Za-z0-9_-]{43})$/;

/** The server, id and secret of a request link (`https://HOST/r/ID#RS`); null if it is not one. */
export function parseRequestLink(text: string): { origin: string; id: string; secret: string } | null {
	const match = REQUEST_LINK.exec(text.trim());
	return match ? { origin: match[1]!, id: match[2]!, secret: match[3]! } : null;
}

/** "100M", "2G", "500k", "1048576": bytes (binary units). */
export function parseSize(text: string): number {
	const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim());
	if (!match) throw usage(`Not a size: ${text} (use e.g. 500M, 2G)`);
	const unit = 1024 ** ' kmgt'.indexOf(match[2]!.toLowerCase() || ' ');
	return Math.floor(Number(match[1]) * unit);
}

/**
 * The request's owner token, derived from its private key: HKDF-SHA256(d, salt = R,
 * "sealdrop-cli request owner token"). Whoever holds the key (also from a key file imported on
 * another machine) can then list and close the request; the key already opens everything in it.
 */
async function ownerTokenFor(keys: RequestKeyPair): Promise<Uint8Array> {
	const jwk = await crypto.subtle.exportKey('jwk', keys.privateKey);
	const ikm = await crypto.subtle.importKey('raw', fromBase64Url(jwk.d ?? ''), 'HKDF', false, ['deriveBits']);
	const info = new TextEncoder().encode('sealdrop-cli request owner token');
	return new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: keys.publicKey, info }, ikm, 256));
}

const keysOf = (entry: RequestEntry) => importRequestPrivateKey(fromBase64Url(entry.privateKey), fromBase64Url(entry.publicKey));

async function entryFromKeys(keys: RequestKeyPair): Promise<RequestEntry> {
	const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
	return { publicKey: toBase64Url(keys.publicKey), privateKey: toBase64Url(pkcs8), createdAt: Date.now() };
}

/**
 * The request a LINK or ID names, with its key. A link whose request this machine has not seen
 * is matched by the public key the server serves (checked against the link) to an imported key.
 */
async function findRequest(target: string, io: CliIo, store: Store): Promise<Required<Pick<RequestEntry, 'id' | 'server'>> & RequestEntry> {
	const entries = await store.requests();
	const link = parseRequestLink(target);
	const id = link?.id ?? target;
	const known = entries.find((e) => e.id === id && (!link || !e.server || e.server === link.origin));
	if (known?.id && (known.server || link)) {
		const server = known.server ?? link!.origin;
		if (!known.server) await store.saveRequest({ ...known, server, link: target.trim() });
		return { ...known, id: known.id, server };
	}
	if (!link) {
		throw new CliError('NOT_IN_HISTORY', EXIT.USAGE, `No request ${target} on this machine: give its link (https://server/r/ID#…).`);
	}
	const api = await apiFor(link.origin, io, store);
	const opened = await openFileRequest(api, link.id, link.secret, { signal: io.signal });
	const entry = entries.find((e) => e.publicKey === toBase64Url(opened.publicKey));
	if (!entry) {
		throw new CliError(
			'NO_REQUEST_KEY',
			EXIT.WRONG_KEY,
			'This machine has no key for that request: import it with `sealdrop key import FILE` (exported where the request was made).'
		);
	}
	const found = {
		...entry,
		id: link.id,
		server: link.origin,
		link: target.trim(),
		title: opened.request.title,
		expiresAt: opened.info.expiresAt
	};
	await store.saveRequest(found);
	return found;
}

/** The key file's `request` field as the web app and this CLI write it; undefined if it is not that. */
function requestOf(bytes: Uint8Array): { id: string; ownerToken: string; secret: string; title?: string; createdAt?: number } | undefined {
	try {
		const value = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
		const text = (k: string) => (typeof value[k] === 'string' ? (value[k] as string) : undefined);
		const id = text('id');
		const ownerToken = text('ownerToken');
		const secret = text('secret');
		if (value.v !== 1 || !id || !ownerToken || !secret) return undefined;
		return { id, ownerToken, secret, title: text('title'), createdAt: typeof value.createdAt === 'number' ? value.createdAt : undefined };
	} catch {
		return undefined;
	}
}

async function ownerOf(entry: RequestEntry): Promise<string> {
	return entry.ownerToken ?? toBase64Url(await ownerTokenFor(await keysOf(entry)));
}

export interface RequestCreateOptions {
	title?: string;
	message?: string;
	expires?: string;
	maxSubmissions?: string;
	maxSize?: string;
	server?: string;
	json: boolean;
}

export async function requestCreate(opts: RequestCreateOptions, io: CliIo, store: Store): Promise<number> {
	if (!opts.title?.trim()) throw usage('Give the request a title: --title TEXT.');
	const origin = await serverOrigin(opts.server, io, store);
	const api = await apiFor(origin, io, store);
	const config = await api.config({ signal: io.signal });
	const expiresIn = pick(
		opts.expires ? parseDuration(opts.expires) : config.expiry.default,
		config.expiry.options,
		'an expiry of',
		formatDuration
	);
	const maxSubmissions = Number(opts.maxSubmissions ?? 10);
	if (!Number.isInteger(maxSubmissions) || maxSubmissions < 1 || maxSubmissions > 1000) {
		throw new CliError('INVALID_OPTION', EXIT.USAGE, `--max-submissions takes 1 to 1000, not ${opts.maxSubmissions}.`);
	}
	// The server counts ciphertext; people count their files: a plaintext size becomes its ciphertext's.
	const maxSubmissionBytes = opts.maxSize
		? layoutForPlainSize(parseSize(opts.maxSize), DEFAULT_RECORD_SIZE).cipherSize
		: config.maxShareBytes;
	if (maxSubmissionBytes > config.maxShareBytes) {
		throw new CliError('INVALID_OPTION', EXIT.USAGE, `This server takes submissions of at most ${formatBytes(config.maxShareBytes)}.`);
	}
	const keys = await generateRequestKeyPair();
	const ownerToken = await ownerTokenFor(keys);
	const created = await createFileRequest(
		api,
		{ title: opts.title.trim(), message: opts.message, expiresIn, maxSubmissions, maxSubmissionBytes, keys, ownerToken },
		{ signal: io.signal }
	);
	const link = requestLink(config.publicUrl ?? origin, created.id, created.secret);
	await store.saveRequest({
		...(await entryFromKeys(keys)),
		id: created.id,
		server: origin,
		link,
		ownerToken: created.ownerToken,
		title: opts.title.trim(),
		expiresAt: created.info.expiresAt
	});
	if (opts.json) {
		const out = { link, id: created.id, expiresAt: new Date(created.info.expiresAt).toISOString(), maxSubmissions, maxSubmissionBytes };
		await write(io.stdout, JSON.stringify(out) + '\n');
	} else {
		await write(io.stdout, link + '\n');
	}
	return 0;
}

export async function requestList(opts: { json: boolean }, io: CliIo, store: Store): Promise<number> {
	const rows = [];
	for (const entry of await store.requests()) {
		if (!entry.id || !entry.server) {
			rows.push({ id: null, state: 'key only', title: null, submissions: null, maxSubmissions: null, expiresAt: null, link: null });
			continue;
		}
		const api = await apiFor(entry.server, io, store);
		const info = await api.requestInfo(entry.id, { signal: io.signal }).catch((err: { code?: string }) => err.code ?? 'unreachable');
		const live = typeof info === 'string' ? null : info;
		rows.push({
			id: entry.id,
			state: live?.state ?? String(info).toLowerCase(),
			title: entry.title ?? null,
			submissions: live?.submissions ?? null,
			maxSubmissions: live?.maxSubmissions ?? null,
			expiresAt: live?.expiresAt ?? entry.expiresAt ?? null,
			link: entry.link ?? null
		});
	}
	if (opts.json) {
		await write(io.stdout, JSON.stringify(rows) + '\n');
		return 0;
	}
	for (const r of rows) {
		const count = r.submissions === null ? '-' : `${r.submissions}/${r.maxSubmissions}`;
		const expires = r.expiresAt ? new Date(r.expiresAt).toISOString() : '-';
		await write(io.stdout, `${r.id ?? '(imported key)'}\t${r.state}\t${count}\t${expires}\t${r.title ?? ''}\n`);
	}
	return 0;
}

export async function requestClose(opts: { target: string; json: boolean }, io: CliIo, store: Store): Promise<number> {
	const entry = await findRequest(opts.target, io, store);
	const api = await apiFor(entry.server, io, store);
	const info = await closeFileRequest(api, { id: entry.id, ownerToken: await ownerOf(entry) }, { signal: io.signal });
	if (opts.json) await write(io.stdout, JSON.stringify({ id: info.id, state: info.state, submissions: info.submissions }) + '\n');
	else await write(io.stderr, `Closed ${info.id}: it takes no more submissions; the ${info.submissions} received stay readable.\n`);
	return 0;
}

export interface RequestGetOptions {
	target: string;
	output?: string;
	force: boolean;
	json: boolean;
	quiet: boolean;
}

/** Each submission into DIR/<submission id>/, with get's rules; one already saved whole is skipped. */
export async function requestGet(opts: RequestGetOptions, io: CliIo, store: Store): Promise<number> {
	const entry = await findRequest(opts.target, io, store);
	const api = await apiFor(entry.server, io, store);
	const keys = await keysOf(entry);
	const ownerToken = await ownerOf(entry);
	const root = resolve(io.cwd, opts.output ?? '.');
	const results: { id: string; files: SavedFile[]; note?: string; skipped?: string }[] = [];
	for (const sub of await listSubmissions(api, { id: entry.id, ownerToken }, { signal: io.signal })) {
		if (sub.state !== 'ready') {
			results.push({ id: sub.id, files: [], skipped: 'still uploading' });
			continue;
		}
		const share = await openSubmission(api, keys, sub, { signal: io.signal });
		const dir = join(root, sub.id);
		const paths = zipPaths(share.metadata.files.map((f) => f.name));
		const whole = await Promise.all(
			share.metadata.files.map(async (f, i) => (await stat(join(dir, ...paths[i]!.split('/'))).catch(() => null))?.size === f.size)
		);
		if (!opts.force && share.metadata.files.length > 0 && whole.every(Boolean)) {
			results.push({ id: sub.id, files: [], skipped: 'already saved' });
			continue;
		}
		const received = await receive(
			share,
			api,
			{ output: dir, stdout: false, force: opts.force, quiet: opts.quiet || opts.json, state: await store.download(sub.id), answers: {} },
			io,
			store
		);
		results.push({ id: sub.id, files: received?.saved ?? [], ...(received?.note !== undefined && { note: received.note }) });
	}
	if (opts.json) {
		await write(io.stdout, JSON.stringify({ id: entry.id, submissions: results }) + '\n');
		return 0;
	}
	if (results.length === 0) await write(io.stderr, 'No submissions yet.\n');
	for (const r of results) {
		if (r.skipped) await write(io.stderr, `${r.id}: ${r.skipped}\n`);
		for (const f of r.files) await write(io.stdout, f.path + '\n');
		if (r.note !== undefined) await write(io.stdout, `Note with ${r.id}:\n${r.note}\n`);
	}
	return 0;
}

export interface SubmitOptions {
	link: string;
	paths: string[];
	note?: string;
	json: boolean;
	quiet: boolean;
}

/** Sends files to a request: its key is checked against the link before anything is encrypted. */
export async function submit(opts: SubmitOptions, io: CliIo, store: Store): Promise<number> {
	const link = parseRequestLink(opts.link);
	if (!link) throw usage('Not a request link: expected https://server/r/ID#KEY');
	if (opts.paths.length === 0 && opts.note === undefined) throw usage('Nothing to send: name files or folders, or give --note.');
	const sources = await collectSources(opts.paths, io);
	const api = await apiFor(link.origin, io, store);
	const opened = await openFileRequest(api, link.id, link.secret, { signal: io.signal });
	const config = await api.config({ signal: io.signal });
	const disk = new DiskSource();
	const bar = progressBar(io, 'Sending', opts.quiet || opts.json);
	try {
		const deps: UploadDeps = {
			api,
			config,
			crypto: nodeBackend,
			content: disk.content,
			// Nothing kept: a submitter keeps no secret of what it sent (an interrupted submit starts over).
			pending: memoryPendingUploads(),
			signal: io.signal,
			onProgress: bar.listener
		};
		const receipt = await submitFiles(
			opened,
			sources.map((s) => s.file),
			deps,
			opts.note
		);
		bar.done();
		const sentAt = new Date(receipt.sentAt).toISOString();
		if (opts.json) {
			await write(io.stdout, JSON.stringify({ request: receipt.requestId, submission: receipt.id, size: receipt.size, sentAt }) + '\n');
		} else {
			const what = `${sources.length} file${sources.length === 1 ? '' : 's'}${opts.note !== undefined ? ' and a note' : ''}`;
			await write(
				io.stdout,
				`Sent ${what} (${formatBytes(receipt.size)}) to “${opened.request.title}”.\nReceipt: submission ${receipt.id} to request ${receipt.requestId}, ${sentAt}.\n`
			);
		}
		return 0;
	} finally {
		await disk.close();
	}
}

/** The key file (FORMAT.md §11.5) of a request made or imported here, to FILE (0600, never replaced) or standard output. */
export async function keyExport(
	opts: { target: string; output?: string; passphraseStdin: boolean },
	io: CliIo,
	store: Store
): Promise<number> {
	const entries = await store.requests();
	const link = parseRequestLink(opts.target);
	const entry = entries.find((e) => e.id === (link?.id ?? opts.target));
	if (!entry)
		throw new CliError('NOT_IN_HISTORY', EXIT.USAGE, `No request ${opts.target} on this machine (see \`sealdrop request list\`).`);
	const passphrase = await readPassword(io, { fromStdin: opts.passphraseStdin, confirm: true, prompt: 'Passphrase for the key file: ' });
	// The optional `request` field (FORMAT.md §11.5), as the web app writes it: the file also brings back
	// which request the key opens, with its owner token, wherever it is imported.
	const secret = entry.link ? parseRequestLink(entry.link)?.secret : undefined;
	const payload = entry.id &&
		entry.ownerToken &&
		secret && { v: 1, id: entry.id, ownerToken: entry.ownerToken, secret, title: entry.title ?? '', createdAt: entry.createdAt };
	const request = payload ? new TextEncoder().encode(JSON.stringify(payload)) : undefined;
	const file = JSON.stringify(await exportRequestKey(await keysOf(entry), passphrase, { request }), null, 2) + '\n';
	if (opts.output === undefined) {
		await write(io.stdout, file);
		return 0;
	}
	const path = resolve(io.cwd, opts.output);
	let handle;
	try {
		handle = await open(path, 'wx', 0o600);
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw localIo('FILE_EXISTS', `${path} already exists.`);
		throw err;
	}
	try {
		await handle.writeFile(file);
	} finally {
		await handle.close();
	}
	await write(io.stderr, `Wrote the key of ${entry.id} to ${path}. Keep it and its passphrase apart.\n`);
	return 0;
}

/** Imports a key file; `request get LINK` then finds its request by the public key the server serves. */
export async function keyImport(opts: { file: string; passphraseStdin: boolean }, io: CliIo, store: Store): Promise<number> {
	let text: string;
	try {
		text = await readFile(resolve(io.cwd, opts.file), 'utf8');
	} catch (err) {
		throw localIo('NOT_FOUND_LOCAL', `Cannot read ${opts.file}: ${(err as Error).message}`);
	}
	const passphrase = await readPassword(io, { fromStdin: opts.passphraseStdin, confirm: false, prompt: 'Passphrase of the key file: ' });
	const keys = await importRequestKey(text, passphrase);
	const publicKey = toBase64Url(keys.publicKey);
	const existing = (await store.requests()).find((e) => e.publicKey === publicKey);
	const found = keys.request ? requestOf(keys.request) : undefined;
	// The request field names no server: the default one (SEALDROP_SERVER, config), else a link later.
	const server = found && (await serverOrigin(undefined, io, store).catch(() => undefined));
	await store.saveRequest({
		...(await entryFromKeys({ privateKey: keys.privateKey, publicKey: keys.publicKey })),
		...existing,
		...(found && { id: found.id, ownerToken: found.ownerToken, title: found.title, createdAt: found.createdAt ?? Date.now() }),
		...(found && server && { server, link: requestLink(server, found.id, found.secret) })
	});
	const which = found ? `the key of request ${found.id}${found.title ? ` (“${found.title}”)` : ''}` : 'the key';
	const next = found && server ? `sealdrop request get ${found.id}` : 'sealdrop request get LINK';
	await write(io.stderr, `Imported ${which}. \`${next}\` opens its submissions.\n`);
	return 0;
}
