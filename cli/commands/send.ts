import { rm } from 'node:fs/promises';
import QRCode from 'qrcode';
import { shareLink } from '../../src/lib/link';
import { DiskSource, nodeBackend } from '../node-backend';
import { cancelUpload, resumeUpload, runUpload, startUpload, type UploadDeps, type UploadJob } from '../../src/lib/transfer/upload';
import { apiFor, formatDuration, parseDuration, pick, readPassword, serverOrigin } from '../common';
import { usage } from '../errors';
import { write, type CliIo } from '../io';
import { progressBar } from '../progress';
import { collectSources, spoolStdin, type Source } from '../sources';
import type { Store, UploadState } from '../store';

export interface SendOptions {
	paths: string[];
	server?: string;
	expires?: string;
	downloads?: string;
	password: boolean;
	passwordStdin: boolean;
	note?: string;
	name?: string;
	qr: boolean;
	json: boolean;
	quiet: boolean;
}

const sameSources = (a: UploadState, server: string, sources: Source[], options: UploadState['options']) =>
	a.server === server &&
	a.sources.length === sources.length &&
	a.sources.every((p, i) => p === sources[i]!.path) &&
	a.options.expiresIn === options.expiresIn &&
	a.options.maxDownloads === options.maxDownloads &&
	a.options.hasPassword === options.hasPassword;

export async function send(opts: SendOptions, io: CliIo, store: Store): Promise<number> {
	const stdinCount = opts.paths.filter((p) => p === '-').length;
	if (opts.paths.length === 0 && opts.note === undefined)
		throw usage('Nothing to send: name files or folders, `-` for standard input, or give --note.');
	if (stdinCount > 1) throw usage('Standard input (`-`) can be sent only once.');
	if (stdinCount && opts.passwordStdin) throw usage('--password-stdin needs standard input, which `-` already sends.');
	if (opts.name !== undefined && !stdinCount) throw usage('--name names standard input: use it with `-`.');

	const origin = await serverOrigin(opts.server, io, store);
	const api = await apiFor(origin, io, store);
	const config = await api.config({ signal: io.signal });
	const expiresIn = pick(
		opts.expires ? parseDuration(opts.expires) : config.expiry.default,
		config.expiry.options,
		'an expiry of',
		formatDuration
	);
	const maxDownloads = pick(
		opts.downloads ? Number(opts.downloads) : config.downloads.default,
		config.downloads.options,
		'a download limit of',
		String
	);

	let spooled: string | null = null;
	let disk: DiskSource | null = null;
	try {
		const sources: Source[] = [];
		for (const path of opts.paths) {
			if (path === '-') {
				const source = await spoolStdin(io, await store.spoolDir(), opts.name ?? 'stdin');
				spooled = source.path;
				sources.push(source);
			} else {
				sources.push(...(await collectSources([path], io)));
			}
		}
		const hasPassword = opts.password || opts.passwordStdin;
		const options = { expiresIn, maxDownloads, hasPassword };
		const files = sources.map((s) => s.file);
		const bar = progressBar(io, 'Sending', opts.quiet || opts.json);
		disk = new DiskSource();
		const deps: UploadDeps = {
			api,
			config,
			crypto: nodeBackend,
			content: disk.content,
			pending: store.pendingStore({ server: origin, sources: sources.map((s) => s.path), options, names: files.map((f) => f.name) }),
			signal: io.signal,
			onProgress: bar.listener
		};

		// The same command again continues an interrupted upload (never one from standard input, which is gone).
		let job: UploadJob | null = null;
		if (!spooled) {
			for (const state of await store.uploads()) {
				if (!sameSources(state, origin, sources, options) || (state.pending.note ?? '') !== (opts.note ?? '')) continue;
				job = await resumeUpload(state.pending, files, disk.content);
				if (job) break;
			}
		}
		if (!job) {
			const password = hasPassword
				? await readPassword(io, { fromStdin: opts.passwordStdin, confirm: true, prompt: 'Password for the share: ' })
				: undefined;
			job = await startUpload({ files, expiresIn, maxDownloads, note: opts.note, password }, deps);
		} else if (!opts.json && !opts.quiet) {
			io.stderr.write('Continuing the interrupted upload of these files.\n');
		}
		let result;
		try {
			result = await runUpload(job, deps);
		} catch (err) {
			// Standard input cannot be sent again: its partial share is removed, not kept for a resume.
			if (spooled) await cancelUpload(job.pending, deps).catch(() => {});
			throw err;
		}
		bar.done();

		const link = shareLink(config.publicUrl ?? origin, result.id, result.secret);
		await store.addHistory({
			id: result.id,
			server: origin,
			link,
			ownerToken: result.ownerToken,
			expiresAt: result.expiresAt,
			maxDownloads: result.maxDownloads,
			size: result.size,
			names: files.map((f) => f.name),
			sentAt: io.now()
		});
		if (opts.json) {
			// The link is the output; the owner token stays in the history file.
			const out = {
				link,
				id: result.id,
				expiresAt: new Date(result.expiresAt).toISOString(),
				maxDownloads: result.maxDownloads,
				size: result.size
			};
			await write(io.stdout, JSON.stringify(out) + '\n');
		} else {
			await write(io.stdout, link + '\n');
			if (opts.qr) await write(io.stdout, await QRCode.toString(link, { type: 'terminal', small: true }));
		}
		return 0;
	} finally {
		await disk?.close();
		if (spooled) await rm(spooled, { force: true });
	}
}
