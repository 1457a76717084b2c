import type { ApiClient } from '../api/client';
import { SHARE_ID_PATTERN } from '../api/types';
import { decodeNote, type FileEntry } from '../crypto/metadata';
import type { PasswordKdf } from '../crypto/password';
import type { PdfDocument } from '../preview/pdf';
import type { CryptoBackend } from '../transfer/crypto-backend';
import { DownloadSession, openShare, PasswordError, readShareHeader, type OpenedShare, type ShareHeader } from '../transfer/download';
import { IMAGE_LIMIT, previewKind } from '../preview/preview';
import type { MediaPreview } from '../preview/read';
import type { Progress } from '../transfer/progress';
import type { SinkFactory } from '../save/save-target';
import type { SaveSink } from '../save/sinks';
import { realRetryEnv, type RetryEnv } from '../transfer/retry';
import { ApiError } from '../api/client';
import { saveNames } from '../crypto/names';
import { failure, failureOf, type Failure } from './failure';
import { Observable } from './observable';

/**
 * loading → (need-key: the link came without its key, or with a wrong one) → (need-password ⇄
 * unlocking) → ready ⇄ downloading → done; `failed` when the share cannot be opened at all (not
 * found, expired, deleted, used up, damaged, the server unreachable). Nothing before
 * `downloading` (or the first preview) spends a download. While downloading, a lost network sets
 * `waiting` and the download carries on by itself when it is back (the `online` event, or every
 * RECONNECT_EVERY_MS); a download stopped by Cancel or a failure leaves `stopped`, and
 * `continueDownload` picks it up on the same ticket, spending nothing more.
 */
/** While the network stays down, a new try this often even if the browser reports nothing. */
export const RECONNECT_EVERY_MS = 30_000;
/** How often a page following an upload in progress asks for the sender's progress. */
const SENDER_POLL_MS = 2_000;

export type ReceivePhase = 'loading' | 'need-key' | 'need-password' | 'unlocking' | 'ready' | 'downloading' | 'done' | 'failed';

/** A file shown in the page. */
export type Preview =
	| { file: FileEntry; kind: 'image'; url: string }
	| { file: FileEntry; kind: 'text'; text: string; truncated: boolean }
	| { file: FileEntry; kind: 'pdf'; doc: PdfDocument }
	/** `frame`: streamed by the service worker into a sandboxed frame; otherwise a blob: URL. */
	| { file: FileEntry; kind: 'audio' | 'video'; url: string; frame: boolean };

export interface ReceiveState {
	phase: ReceivePhase;
	/** The opened share (its file list, note and public info); null until then. */
	share: OpenedShare | null;
	files: FileEntry[];
	downloadsLeft: number;
	failure: Failure | null;
	progress: Progress | null;
	/** The file being saved, and the ZIP it goes into if any. */
	current: { name: string; zip?: string } | null;
	preview: Preview | null;
	/** A preview is being fetched and decrypted. */
	previewing: boolean;
	/** The last download was stopped by the person's own Cancel: said plainly, not as a failure. */
	cancelled: boolean;
	/** The sender's note as text: at once for an older share, after `revealNote` for a newer one. */
	note: string | null;
	/** The share has a note that only `revealNote` reads (it spends a download). */
	noteHidden: boolean;
	/** The note is being fetched and decrypted. */
	revealing: boolean;
	/** Downloading, but the server is out of reach: waiting for the network, then carrying on. */
	waiting: boolean;
	/**
	 * A download stopped part-way that `continueDownload` picks up without spending another
	 * download: `done` bytes of `total` are kept, and `restarts` names the file saved again from its
	 * start (a browser download already begun cannot be added to), null when nothing restarts.
	 */
	stopped: { done: number; total: number; restarts: string | null } | null;
	/**
	 * The share is still being uploaded (streaming): ciphertext bytes the server has received of
	 * `total`, followed while the page is open; null once it is complete.
	 */
	sender: { received: number; total: number } | null;
	/** The sender's upload ended unfinished (UPLOAD_ABANDONED): nothing can be downloaded any more. */
	abandoned: boolean;
}

export interface ReceiveControllerDeps {
	api: ApiClient;
	/** Where records are fetched and decrypted (the page's workers in a browser). */
	crypto: () => CryptoBackend;
	passwordKdf?: PasswordKdf;
	/** Asks where to save: called straight from the click, as save dialogs need; null if dismissed. */
	chooseSaveTarget: (files: FileEntry[]) => Promise<SinkFactory | null>;
	/** The service worker that streams media previews; null where there is none. */
	mediaWorker: () => Promise<ServiceWorker | null>;
	/** Loads the PDF reader (only when a PDF is previewed) and gives its opener. */
	loadPdf: () => Promise<(bytes: Uint8Array<ArrayBuffer>) => Promise<PdfDocument>>;
	/**
	 * Calls `listener` whenever the browser reports that it is online again (the window's
	 * `online` event); returns the unsubscribe. Without it, only the timers wake a retry.
	 */
	online?: (listener: () => void) => () => void;
	/** The waits between retries (tests inject theirs); a wait also ends early when online. */
	retryEnv?: RetryEnv;
}

/** One press of Download (or Download ZIP), kept until it finishes so that it can continue. */
interface SaveJob {
	entries: FileEntry[];
	bytes: number;
	/** Saves what is left of it. */
	run(signal: AbortSignal): Promise<void>;
	/** After a stop: drops what cannot be continued; says what is kept and what starts again. */
	stop(): { done: number; restarts: string | null };
	/** Frees what it holds (an open sink), when another download replaces it. */
	discard(): void;
}

const startProgress = (total: number): Progress => ({ done: 0, total, bytesPerSecond: 0, secondsLeft: null });
const totalSize = (files: FileEntry[]) => files.reduce((sum, f) => sum + f.size, 0);

/** The recipient's side of a share's page: open it, unlock it, preview and save its files. */
export class ReceiveController extends Observable<ReceiveState> {
	private session: DownloadSession | null = null;
	/** The link being read; a newer load (a corrected key) makes an older one's answers moot. */
	private link: { id: string; key: string; locked: ShareHeader | null } | null = null;
	private loads = 0;
	private transfer: AbortController | null = null;
	private media: MediaPreview | null = null;
	/** The download in progress, or the stopped one that can continue; the ticket is in the session. */
	private job: SaveJob | null = null;
	/**
	 * The ZIP writer (client-zip), loaded when a share of several files opens rather than with the
	 * page: the ZIP's name and size are needed synchronously in the click, before the save dialog.
	 */
	private zip: typeof import('../save/zip') | null = null;
	private zipLoading: Promise<typeof import('../save/zip')> | null = null;

	constructor(private readonly deps: ReceiveControllerDeps) {
		super({
			phase: 'loading',
			share: null,
			files: [],
			downloadsLeft: 0,
			failure: null,
			progress: null,
			current: null,
			preview: null,
			previewing: false,
			cancelled: false,
			note: null,
			noteHidden: false,
			revealing: false,
			waiting: false,
			stopped: null,
			sender: null,
			abandoned: false
		});
	}

	/** Reads the share's public info, and opens it unless it needs a key or a password first. */
	async load(id: string, key: string): Promise<void> {
		const load = ++this.loads;
		const current = () => load === this.loads;
		this.closePreview();
		this.dropJob();
		this.session = null;
		this.link = { id, key, locked: null };
		this.update({ phase: 'loading', share: null, files: [], failure: null, progress: null, current: null, note: null, noteHidden: false });
		if (!SHARE_ID_PATTERN.test(id)) return this.update({ phase: 'failed', failure: failure('INVALID_ID') });
		// A link sent in two halves: ask for the key rather than call the link damaged.
		if (key === '') return this.update({ phase: 'need-key' });
		try {
			const read = await readShareHeader(this.deps.api, id, key);
			if (!current()) return;
			if (read.header.kdf) {
				this.link.locked = read;
				return this.update({ phase: 'need-password' });
			}
			const opened = await openShare(this.deps.api, id, key, { info: read.info });
			if (current()) this.open(opened);
		} catch (err) {
			if (!current()) return;
			const why = failureOf(err);
			// A damaged or wrong key: the recipient can paste the right one.
			this.update({ failure: why, phase: why.code === 'BAD_SECRET' || why.code === 'WRONG_KEY' ? 'need-key' : 'failed' });
		}
	}

	/**
	 * A wrong password spends no download. Format v2: the server checks it and counts it (after
	 * several, PASSWORD_LOCKED says how long to wait); v1: checked in this tab only.
	 */
	async unlock(password: string): Promise<void> {
		const link = this.link;
		if (this.state.phase !== 'need-password' || !link?.locked || password === '') return;
		const load = this.loads;
		this.update({ phase: 'unlocking', failure: null });
		try {
			const opened = await openShare(this.deps.api, link.id, link.key, {
				info: link.locked.info,
				password,
				passwordKdf: this.deps.passwordKdf
			});
			if (load === this.loads) this.open(opened);
		} catch (err) {
			if (load !== this.loads) return;
			this.update({ failure: failureOf(err), phase: err instanceof PasswordError ? 'need-password' : 'failed' });
		}
	}

	/** Shows a file in the page, or hides it if it is the one shown. */
	async togglePreview(file: FileEntry): Promise<void> {
		if (this.state.preview?.file === file) this.closePreview();
		else await this.showPreview(file);
	}

	/** The first preview (or save) spends this page's one download; later ones reuse it. */
	async showPreview(file: FileEntry): Promise<void> {
		const how = previewKind(file);
		const session = this.session;
		if (!session || !how || this.state.previewing || this.state.phase === 'downloading') return;
		this.closePreview();
		this.update({ failure: null, previewing: true });
		let preview: Preview | null = null;
		let media: MediaPreview | null = null;
		let why: Failure | null = null;
		try {
			const { fileBytes, imagePreview, mediaPreview, textPreview } = await import('../preview/read');
			if (how.kind === 'image') {
				preview = { file, kind: 'image', url: await imagePreview(session, file, how.mime) };
			} else if (how.kind === 'text') {
				preview = { file, kind: 'text', ...(await textPreview(session, file)) };
			} else if (how.kind === 'pdf') {
				const [openPdf, bytes] = await Promise.all([this.deps.loadPdf(), fileBytes(session, file)]);
				preview = { file, kind: 'pdf', doc: await openPdf(bytes) };
			} else {
				const worker = await this.deps.mediaWorker();
				if (worker) {
					media = await mediaPreview(worker, session, file, how.kind, how.mime);
					preview = { file, kind: how.kind, url: media.url, frame: true };
				} else if (file.size <= IMAGE_LIMIT) {
					// No service worker (private mode in some browsers): small media from memory.
					preview = { file, kind: how.kind, url: await imagePreview(session, file, how.mime), frame: false };
				} else {
					why = failure('PREVIEW_UNSUPPORTED');
				}
			}
		} catch (err) {
			why = failureOf(err);
		}
		if (session !== this.session) {
			// The page moved on to another link meanwhile: this preview is nobody's.
			release(preview);
			media?.close();
			return;
		}
		this.media = media;
		this.update({ preview, failure: why, previewing: false, downloadsLeft: session.downloadsLeft });
	}

	/**
	 * Reads the note, which follows the files in the content: like the first preview or save it
	 * spends this page's one download, so a note with a limit of 1 is read once.
	 */
	async revealNote(): Promise<void> {
		const session = this.session;
		const noteBytes = session?.share.metadata.noteBytes;
		if (!session || !noteBytes || !this.state.noteHidden || this.state.revealing || this.state.phase === 'downloading') return;
		this.update({ failure: null, revealing: true });
		const offset = session.share.layout.plainSize - noteBytes;
		let patch: Partial<ReceiveState>;
		try {
			const { fileBytes } = await import('../preview/read');
			const note = decodeNote(await fileBytes(session, { name: 'note', size: noteBytes, type: 'text/plain', offset }));
			patch = { note, noteHidden: false };
		} catch (err) {
			patch = { failure: failureOf(err) };
		}
		if (session === this.session) this.update({ ...patch, revealing: false, downloadsLeft: session.downloadsLeft });
	}

	closePreview(): void {
		release(this.state.preview);
		this.media?.close();
		this.media = null;
		if (this.state.preview) this.update({ preview: null });
	}

	/** Each selected file saved on its own; progress adds up over all of them. */
	download(selection: FileEntry[]): Promise<void> {
		const session = this.session;
		if (!session || selection.length === 0) return Promise.resolve();
		const bytes = totalSize(selection);
		// Named over the whole share (FORMAT.md §8): "a/x.txt", then "b/x.txt", save as "x.txt", then "x (2).txt".
		const { files } = this.state;
		const names = saveNames(files.map((f) => f.name));
		const saved = selection.map((file) => ({ ...file, name: names[files.indexOf(file)] ?? file.name }));
		return this.save(saved, bytes, (target) => this.filesJob(session, selection, saved, bytes, target));
	}

	/**
	 * Saves `selection` one file at a time into sinks named by `saved`. After a stop it continues
	 * with the file it was on: into the same sink from the byte it reached when the sink could be
	 * kept open, else into a new sink from the file's start; files already saved are not saved again.
	 */
	private filesJob(session: DownloadSession, selection: FileEntry[], saved: FileEntry[], bytes: number, target: SinkFactory): SaveJob {
		let index = 0;
		let before = 0; // bytes of the files already saved
		let open: { sink: SaveSink; written: number; broken: boolean } | null = null;
		return {
			entries: saved,
			bytes,
			run: async (signal) => {
				for (; index < selection.length; index++) {
					const file = selection[index]!;
					this.update({ current: { name: file.name } });
					open ??= { sink: await target(saved[index]!), written: 0, broken: false };
					const here = open;
					// Counts what the sink took, which is where a continue starts.
					const counted: SaveSink = {
						write: async (chunk) => {
							const n = chunk.byteLength; // before the write: a sink may take the chunk's buffer
							try {
								await here.sink.write(chunk);
							} catch (err) {
								here.broken = true;
								throw err;
							}
							here.written += n;
						},
						file: here.sink.file,
						wrote: (n) => (here.written += n),
						close: () => here.sink.close(),
						abort: (reason) => here.sink.abort(reason)
					};
					const base = before + here.written;
					const onProgress = (p: Progress) => this.progressed({ ...p, done: base + p.done, total: bytes });
					await session.copy(file.offset + here.written, file.offset + file.size, counted, onProgress, signal);
					try {
						await here.sink.close();
					} catch (err) {
						here.broken = true;
						throw err;
					}
					open = null;
					before += file.size;
				}
			},
			stop: () => {
				let restarts: string | null = null;
				if (open && (open.broken || !open.sink.resumable)) {
					// Never let a partial file look complete; this one is saved again from its start.
					void open.sink.abort().catch(() => {});
					if (open.written > 0) restarts = saved[index]?.name ?? null;
					open = null;
				}
				return { done: before + (open?.written ?? 0), restarts };
			},
			discard: () => {
				void open?.sink.abort().catch(() => {});
				open = null;
			}
		};
	}

	/** All files as one ZIP, streamed into one save target. */
	downloadZip(): Promise<void> {
		const session = this.session;
		const { files } = this.state;
		if (!session || files.length < 2) return Promise.resolve();
		// Loaded when the share opened; a click faster than that waits for it (the dialog may then refuse).
		if (!this.zip) {
			return this.loadZip().then(
				() => this.downloadZip(),
				(err: unknown) => {
					this.zipLoading = null;
					this.update({ failure: failureOf(err) });
				}
			);
		}
		const { saveZip, zipFileName, zipSize } = this.zip;
		const zip = zipFileName(files);
		const entry: FileEntry = { name: zip, size: zipSize(files), type: 'application/zip', offset: 0 };
		const bytes = totalSize(files);
		return this.save([entry], bytes, (target) => {
			let started = false;
			return {
				entries: [entry],
				bytes,
				run: async (signal) => {
					started = true;
					await saveZip(session, files, await target(entry), {
						lastModified: new Date(session.share.metadata.created),
						onProgress: (progress) => this.progressed(progress),
						onFile: (file) => this.update({ current: { name: file.name, zip } }),
						signal
					});
				},
				// A ZIP streams its directory at the end from what came before: it starts again.
				stop: () => ({ done: 0, restarts: started ? zip : null }),
				discard: () => {}
			};
		});
	}

	/** Stops the download in progress (or the wait for the network); it can continue later. */
	cancel(): void {
		this.transfer?.abort();
	}

	/** Picks up the stopped download where it stopped, on the same ticket: no download spent. */
	async continueDownload(): Promise<void> {
		const job = this.job;
		if (!job || !this.state.stopped || this.state.phase !== 'ready') return;
		await this.run(job, this.state.stopped.done);
	}

	/** Forgets a stopped download, freeing a sink it kept open. */
	private dropJob(): void {
		this.job?.discard();
		this.job = null;
		if (this.state.stopped) this.update({ stopped: null });
	}

	private loadZip(): Promise<typeof import('../save/zip')> {
		this.zipLoading ??= import('../save/zip').then((zip) => (this.zip = zip));
		return this.zipLoading;
	}

	private open(opened: OpenedShare): void {
		const env = this.deps.retryEnv ?? realRetryEnv;
		let session: DownloadSession | null = null;
		// Only a download waits for the network: a preview or the note says it failed, as before.
		const mine = () => this.session === session && this.state.phase === 'downloading';
		session = new DownloadSession(opened, {
			api: this.deps.api,
			crypto: this.deps.crypto(),
			retryEnv: { ...env, sleep: (ms, signal) => (mine() ? this.wait(ms, signal) : env.sleep(ms, signal)) },
			onRetry: (err) => {
				if (mine() && unreachable(err)) this.waitingForNetwork();
			},
			reconnect: async (err, signal) => {
				if (!mine() || !signal) throw err;
				this.waitingForNetwork();
				await this.wait(RECONNECT_EVERY_MS, signal);
			}
		});
		this.session = session;
		const { metadata } = opened;
		if (metadata.files.length > 1) {
			// A failed load is retried by the click, whose own failure then shows.
			this.loadZip().catch(() => (this.zipLoading = null));
		}
		const uploading = opened.info.state === 'uploading';
		this.update({
			phase: 'ready',
			share: opened,
			files: metadata.files,
			downloadsLeft: opened.info.downloadsLeft,
			note: metadata.note ?? null,
			noteHidden: metadata.noteBytes !== undefined,
			sender: uploading ? { received: opened.info.received ?? 0, total: opened.info.size } : null,
			abandoned: false
		});
		if (uploading) void this.followUpload(session, opened.id);
	}

	/**
	 * While the share is still uploading, reads its public info every few seconds for the sender's
	 * progress. Stops once it is complete, when another share is opened, or on any failure (the
	 * download itself says what went wrong, e.g. UPLOAD_ABANDONED).
	 */
	private async followUpload(session: DownloadSession, id: string): Promise<void> {
		while (this.session === session && this.state.sender) {
			await new Promise((resolve) => setTimeout(resolve, SENDER_POLL_MS));
			if (this.session !== session) return;
			try {
				const info = await this.deps.api.info(id);
				if (this.session !== session) return;
				this.update({ sender: info.state === 'uploading' ? { received: info.received ?? 0, total: info.size } : null });
			} catch {
				return;
			}
		}
	}

	/**
	 * Asks where to save `entries` (synchronously from the click: the dialogs need its gesture),
	 * then runs `save` with progress and a Cancel. The session claims its one download on the first
	 * byte; a failure or a cancel leaves the page ready to try again.
	 */
	private async save(entries: FileEntry[], bytes: number, job: (target: SinkFactory) => SaveJob): Promise<void> {
		const session = this.session;
		if (!session || this.state.abandoned || (this.state.phase !== 'ready' && this.state.phase !== 'done')) return;
		this.update({ failure: null, cancelled: false });
		const target = await this.deps.chooseSaveTarget(entries).catch((err: unknown) => {
			this.update({ failure: failureOf(err) });
			return null;
		});
		if (!target || session !== this.session) return;
		// A new download replaces a stopped one (its ticket, in the session, is used again).
		this.dropJob();
		await this.run(job(target), 0);
	}

	/** Runs `job` from `done` bytes with progress and a Cancel; a stop keeps it to continue. */
	private async run(job: SaveJob, done: number): Promise<void> {
		const session = this.session;
		if (!session) return;
		const controller = new AbortController();
		this.transfer = controller;
		this.job = job;
		this.update({
			phase: 'downloading',
			progress: { ...startProgress(job.bytes), done },
			current: null,
			failure: null,
			cancelled: false,
			waiting: false,
			stopped: null
		});
		try {
			await job.run(controller.signal);
			this.job = null;
			this.update({ phase: 'done' });
		} catch (err) {
			const kept = job.stop();
			// The sender's upload ended unfinished: nothing more will come, so nothing to continue.
			const abandoned = err instanceof ApiError && err.code === 'UPLOAD_ABANDONED';
			if (abandoned) this.update({ sender: null, abandoned: true });
			// Continuing is free only on a download already claimed (a refused claim spent nothing to keep).
			const stopped = this.job === job && session.claimed && !abandoned ? { ...kept, total: job.bytes } : null;
			if (controller.signal.aborted) this.update({ phase: 'ready', cancelled: true, stopped });
			else this.update({ phase: 'ready', failure: failureOf(err), stopped });
		} finally {
			this.transfer = null;
			this.update({ waiting: false, downloadsLeft: session.downloadsLeft });
		}
	}

	/** Progress of the download; new bytes mean the server is reached again. */
	private progressed(progress: Progress): void {
		// The download is spent once bytes flow: the count says so at once, not at the end.
		const downloadsLeft = this.session?.downloadsLeft ?? this.state.downloadsLeft;
		if (!this.state.waiting) return this.update({ progress, downloadsLeft });
		// A report without new bytes proves nothing.
		const moved = progress.done > (this.state.progress?.done ?? 0);
		this.update(moved ? { progress, downloadsLeft, waiting: false } : { progress: { ...progress, bytesPerSecond: 0, secondsLeft: null } });
	}

	/** The server is out of reach: the page says it waits for the network; nothing moves meanwhile. */
	private waitingForNetwork(): void {
		const { progress } = this.state;
		this.update({ waiting: true, progress: progress && { ...progress, bytesPerSecond: 0, secondsLeft: null } });
	}

	/**
	 * Waits `ms`, or less: until the browser reports it is online again. Rejects if `signal`
	 * aborts. Used between retries too, so that a network that comes back is used at once.
	 */
	private async wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
		const online = new AbortController();
		const unsubscribe = this.deps.online?.(() => online.abort()) ?? (() => {});
		const env = this.deps.retryEnv ?? realRetryEnv;
		try {
			await env.sleep(ms, signal ? AbortSignal.any([signal, online.signal]) : online.signal);
		} catch (err) {
			if (signal?.aborted || !online.signal.aborted) throw err;
		} finally {
			unsubscribe();
		}
	}
}

/** The server is out of reach (the network, or a proxy or server that is down), not refusing. */
function unreachable(err: unknown): boolean {
	return err instanceof ApiError && err.transient;
}

/** Frees what a preview holds: its blob: URL or its PDF document. */
function release(preview: Preview | null): void {
	if (!preview) return;
	if ('url' in preview && preview.url.startsWith('blob:')) URL.revokeObjectURL(preview.url);
	if (preview.kind === 'pdf') void preview.doc.close();
}
