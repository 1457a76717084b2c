import { resolve } from 'node:path';
import { ApiClient, ApiError } from '../../src/lib/api/client';
import { concatBytes, decodeNote, isCryptoError, zipPaths } from '../../src/lib/crypto';
import type { SaveSink } from '../../src/lib/save/sinks';
import { DownloadSession, openShare, readShareHeader, type OpenedShare } from '../../src/lib/transfer/download';
import type { ProgressListener } from '../../src/lib/transfer/progress';
import { apiFor, parseLink, readPassword } from '../common';
import { CliError, EXIT, localIo, usage } from '../errors';
import { write, type CliIo } from '../io';
import { nodeBackend } from '../node-backend';
import { progressBar } from '../progress';
import type { DownloadState, Store } from '../store';
import { discard, exists, fileSink, partialSize, planTargets, prepareFolder } from '../writer';

export interface GetOptions {
	link: string;
	output?: string;
	file?: string;
	stdout: boolean;
	force: boolean;
	passwordStdin: boolean;
	json: boolean;
	quiet: boolean;
}

/** The server's answers about a share (public info, sealed metadata), as JSON text. */
export type Answers = Record<string, string>;

/**
 * Opens a share from its link, asking for the password only if it has one. Nothing is spent.
 * `replay` serves the info and sealed metadata an earlier run received: once the last download
 * is claimed the server no longer answers them, but the claim's ticket still reads the data. The
 * keys, commitment and metadata are checked here all the same.
 */
export async function openLink(
	link: string,
	io: CliIo,
	passwordStdin: boolean,
	replay: Answers = {}
): Promise<{ share: OpenedShare; origin: string; answers: Answers }> {
	const { origin, id, key } = parseLink(link);
	const answers: Answers = {};
	const api = new ApiClient(origin, async (input, init) => {
		const path = new URL(input instanceof Request ? input.url : String(input)).pathname;
		const remembered = replay[path];
		if (remembered !== undefined) return new Response(remembered, { headers: { 'content-type': 'application/json' } });
		const res = await io.fetch(input, init);
		if (res.ok) answers[path] = await res.clone().text();
		return res;
	});
	// The key is checked before any request, and the header (with its Argon2 costs) before any work.
	const { info, header } = await readShareHeader(api, id, key, { signal: io.signal });
	const password = header.kdf ? await readPassword(io, { fromStdin: passwordStdin, confirm: false, prompt: 'Password: ' }) : undefined;
	const share = await openShare(api, id, key, { info, password, signal: io.signal });
	return { share, origin, answers: { ...replay, ...answers } };
}

function memorySink(): SaveSink & { bytes(): Uint8Array } {
	const chunks: Uint8Array[] = [];
	return {
		write: async (chunk) => void chunks.push(chunk.slice()),
		close: async () => {},
		abort: async () => {},
		bytes: () => concatBytes(...chunks)
	};
}

function streamSink(io: CliIo): SaveSink {
	return { write: (chunk) => write(io.stdout, chunk), close: async () => {}, abort: async () => {} };
}

export async function get(opts: GetOptions, io: CliIo, store: Store): Promise<number> {
	if (opts.stdout && opts.output !== undefined) throw usage('--stdout and -o exclude each other.');
	const { id } = parseLink(opts.link);
	const state = await store.download(id);
	const { share, origin, answers } = await openLink(opts.link, io, opts.passwordStdin, state?.answers);
	const api = await apiFor(origin, io, store);
	const received = await receive(share, api, { ...opts, quiet: opts.quiet || opts.json, state, answers }, io, store);
	if (!received) return 0;
	const { saved, note } = received;

	if (opts.json) {
		await write(io.stdout, JSON.stringify({ id: share.id, files: saved, ...(note !== undefined && { note }) }) + '\n');
	} else {
		for (const s of saved) await write(io.stdout, s.path + '\n');
		if (note !== undefined) await write(io.stdout, (saved.length ? '\nNote:\n' : '') + note + '\n');
	}
	return 0;
}

/** A saved file: its name in the share, where it is now, its size. */
export interface SavedFile {
	name: string;
	path: string;
	size: number;
}

export interface ReceiveOptions extends Omit<GetOptions, 'link' | 'passwordStdin' | 'json'> {
	state: DownloadState | null;
	answers: Answers;
}

/**
 * Downloads an opened share (a share from its link, or a request's submission) into a folder or
 * to standard output, resuming what an earlier run saved. Null when it went to standard output.
 */
export async function receive(
	share: OpenedShare,
	api: ApiClient,
	opts: ReceiveOptions,
	io: CliIo,
	store: Store
): Promise<{ saved: SavedFile[]; note?: string } | null> {
	const { state, answers } = opts;
	const { files, noteBytes = 0 } = share.metadata;
	const paths = zipPaths(files.map((f) => f.name));
	const noteStart = share.layout.plainSize - noteBytes;

	let selected = files.map((_, i) => i);
	if (opts.file !== undefined) {
		const i = files.findIndex((f, n) => f.name === opts.file || paths[n] === opts.file);
		if (i === -1) throw usage(`The share has no file named ${opts.file}; it has: ${files.map((f) => f.name).join(', ')}`);
		selected = [i];
	}
	const wantNote = opts.file === undefined;

	const done = state?.done ?? [];
	const session = new DownloadSession(share, { api, crypto: nodeBackend, signal: io.signal, ticket: state?.ticket });
	let savedTicket = state?.ticket;
	/** Claims (once) and keeps the ticket next to the history at once, so that an interrupted run resumes with it. */
	const claim = async () => {
		const ticket = await session.claim();
		if (ticket !== savedTicket) await store.saveDownload(share.id, { ticket, done, answers });
		savedTicket = ticket;
	};
	/**
	 * Runs a save. A ticket kept from an earlier run that ran out is not replaced silently: a new
	 * claim spends another download, which the web app also asks for ("reload to start again").
	 * The stale ticket is dropped, so running the command again claims anew and continues from the
	 * verified bytes already saved.
	 */
	const save = async (start: number, end: number, sink: () => SaveSink, onProgress?: ProgressListener) => {
		try {
			await claim();
			await session.save(start, end, sink(), onProgress);
		} catch (err) {
			if (!(state?.ticket && err instanceof ApiError && err.code === 'TICKET_INVALID' && savedTicket === state.ticket)) throw err;
			await store.saveDownload(share.id, { done, answers });
			throw new CliError(
				'TICKET_INVALID',
				EXIT.GONE,
				'The download session of the earlier run has run out (a claim is valid for a few hours). ' +
					'Run the same command again to start over: that spends another download; the bytes already saved are kept.'
			);
		}
	};

	const readNote = async (): Promise<string | undefined> => {
		if (share.metadata.note !== undefined) return share.metadata.note;
		if (noteBytes === 0) return undefined;
		let sink = memorySink();
		await save(noteStart, share.layout.plainSize, () => (sink = memorySink()));
		return decodeNote(sink.bytes());
	};

	if (opts.stdout) {
		if (selected.length === 1) {
			const f = files[selected[0]!]!;
			await save(f.offset, f.offset + f.size, () => streamSink(io));
		} else if (files.length === 0) {
			const note = await readNote();
			await write(io.stdout, note ?? '');
		} else {
			throw usage(`The share has ${files.length} files: choose one with --file NAME to write it to standard output.`);
		}
		await store.removeDownload(share.id);
		return null;
	}

	const root = resolve(io.cwd, opts.output ?? '.');
	const targets = await planTargets(
		root,
		selected.map((i) => paths[i]!),
		share.id
	);
	// Before anything is spent: nothing already there is replaced unless asked.
	if (!opts.force) {
		for (const [n, i] of selected.entries()) {
			if (!done.includes(i) && (await exists(targets[n]!.final))) {
				throw localIo('FILE_EXISTS', `${targets[n]!.final} already exists: choose another folder with -o, or replace it with --force.`);
			}
		}
	}

	const total = selected.reduce((sum, i) => sum + files[i]!.size, 0);
	const bar = progressBar(io, 'Receiving', opts.quiet);
	let base = 0;
	const saved: SavedFile[] = [];
	for (const [n, i] of selected.entries()) {
		const f = files[i]!;
		const target = targets[n]!;
		if (!done.includes(i)) {
			await prepareFolder(root, target);
			const have = Math.min(await partialSize(target), f.size);
			const at = base;
			const listener: ProgressListener | undefined =
				bar.listener &&
				((p) =>
					bar.listener!({
						...p,
						done: at + have + p.done,
						total,
						secondsLeft: p.bytesPerSecond > 0 ? (total - at - have - p.done) / p.bytesPerSecond : null
					}));
			try {
				await save(f.offset + have, f.offset + f.size, () => fileSink(target, opts.force), listener);
			} catch (err) {
				// Damaged data never completes: no partial file is kept for it.
				if (isCryptoError(err)) await discard(target);
				throw err;
			}
			done.push(i);
			await store.saveDownload(share.id, { ticket: await session.claim(), done, answers });
		}
		base += f.size;
		saved.push({ name: f.name, path: target.final, size: f.size });
	}
	const note = wantNote ? await readNote() : undefined;
	bar.done();
	await store.removeDownload(share.id);

	return { saved, note };
}
