import { allowedExpiries, currentAccount } from '../accounts/account';
import { ApiError, type ApiClient } from '../api/client';
import type { AccountInfo, ServerConfig } from '../api/types';
import type { PasswordKdf } from '../crypto';
import { DEFAULT_RECORD_SIZE, MAX_NOTE_LENGTH, TAG_BYTES } from '../crypto/constants';
import type { CryptoBackend } from '../transfer/crypto-backend';
import type { PendingUpload, PendingUploadStore } from '../uploads/pending-uploads';
import type { Progress } from '../transfer/progress';
import { realRetryEnv, type RetryEnv } from '../transfer/retry';
import type { UploadDeps, UploadJob, UploadResult } from '../transfer/upload';
import type { MyUploadsStore } from '../uploads/my-uploads';
import { checkReadable } from '../folders';
import { failure, failureOf, type Failure } from './failure';
import { Observable } from './observable';

/**
 * pick → creating (the share is being made on the server) → uploading ⇄ paused → done → pick.
 * Pause and Cancel work in every busy phase: a share still being created when Pause is pressed
 * ends up paused and ready to resume; when Cancel is pressed, it is deleted once it exists.
 * A failure while uploading also leaves it paused, so that Resume is the retry.
 * uploading ⇄ reconnecting: the server cannot be reached and Sealdrop is retrying by itself,
 * first with backoff, then (the retries spent) whenever the browser reports that it is online
 * again, or every RECONNECT_EVERY_MS; the first part that arrives makes it uploading again.
 */
export type UploadPhase = 'pick' | 'creating' | 'uploading' | 'reconnecting' | 'paused' | 'done';

/** While the network stays down, a new try this often even if the browser reports nothing. */
export const RECONNECT_EVERY_MS = 30_000;

/** What the sender chooses besides the files; the page binds its fields to these. */
export interface UploadOptions {
	note: string;
	password: string;
	expiresIn: number;
	maxDownloads: number;
	/** Keep the finished share in "My uploads" in this browser. */
	remember: boolean;
}

export interface UploadState extends UploadOptions {
	phase: UploadPhase;
	/** null until the server's limits are known; nothing can start before. */
	config: ServerConfig | null;
	/** Restricted upload mode: only signed-in accounts may upload. */
	restricted: boolean;
	/** Who is signed in (restricted mode), null if nobody. */
	account: AccountInfo | null;
	/** Restricted mode, and the server said nobody is signed in here: there is no form to show, only a way to log in. */
	signedOut: boolean;
	/** The expiries this sender may choose, in seconds. */
	expiries: number[];
	files: File[];
	/** Plaintext bytes of the files. */
	total: number;
	/** Whether the files and note make a share (a note alone does). */
	hasContent: boolean;
	/** More than the server accepts per share. */
	tooLarge: boolean;
	canStart: boolean;
	/** A share is being created or sent: the choices are locked. */
	busy: boolean;
	progress: Progress | null;
	result: UploadResult | null;
	resultHasPassword: boolean;
	/** Whether the finished share was added to "My uploads". */
	remembered: boolean;
	failure: Failure | null;
	/** Uploads this browser started and never finished (a closed tab, a crash). */
	interrupted: PendingUpload[];
	/** A submission to a file request: its size limit (ciphertext bytes); null for a share of one's own. */
	submissionMaxBytes: number | null;
}

let engineLoad: Promise<typeof import('../transfer/upload')> | null = null;

/**
 * The upload engine and the crypto core under it, loaded when the first file is picked rather than
 * with the page (the page is usable sooner on a slow phone); a failed load is tried again next time.
 */
function engine(): Promise<typeof import('../transfer/upload')> {
	engineLoad ??= import('../transfer/upload').catch((err: unknown) => {
		engineLoad = null;
		throw err;
	});
	return engineLoad;
}

export interface UploadControllerDeps {
	api: ApiClient;
	loadConfig: () => Promise<ServerConfig>;
	/** Where parts are encrypted and sent (the page's workers in a browser). */
	crypto: () => CryptoBackend;
	pending: PendingUploadStore;
	myUploads: MyUploadsStore;
	passwordKdf?: PasswordKdf;
	parallel?: number;
	now?: () => number;
	/**
	 * Calls `listener` whenever the browser reports that it is online again (the window's
	 * `online` event); returns the unsubscribe. Without it, only the timers wake a retry.
	 */
	online?: (listener: () => void) => () => void;
	/** The waits between retries (tests inject theirs); a wait also ends early when online. */
	retryEnv?: RetryEnv;
	/**
	 * Send a submission to this file request instead of a share (FORMAT.md §11.4): no password,
	 * expiry, download limit or "My uploads"; no account needed in restricted mode.
	 */
	submission?: SubmissionTarget;
}

/** The file request a submission goes to, its key already checked against the link. */
export interface SubmissionTarget {
	requestId: string;
	/** R, raw: the key the submission is sealed to. */
	requestKey: Uint8Array;
	/** The request's maxSubmissionBytes (ciphertext bytes). */
	maxBytes: number;
}

/** One press of Encrypt and upload, or of Resume: its own abort signal and Cancel mark. */
interface Attempt {
	controller: AbortController;
	cancelled: boolean;
}

const startProgress = (total: number): Progress => ({ done: 0, total, bytesPerSecond: 0, secondsLeft: null });

/** The sender's side of the upload page: what is chosen, what is sent, and what came of it. */
export class UploadController extends Observable<UploadState> {
	private job: UploadJob | null = null;
	/** The attempt whose outcome still counts; an older one (cancelled) changes nothing here. */
	private attempt: Attempt | null = null;

	constructor(private readonly deps: UploadControllerDeps) {
		super(
			{
				phase: 'pick',
				config: null,
				restricted: false,
				account: null,
				signedOut: false,
				expiries: [],
				files: [],
				note: '',
				password: '',
				expiresIn: 0,
				maxDownloads: 0,
				remember: true,
				total: 0,
				hasContent: false,
				tooLarge: false,
				canStart: false,
				busy: false,
				progress: null,
				result: null,
				resultHasPassword: false,
				remembered: false,
				failure: null,
				interrupted: [],
				submissionMaxBytes: deps.submission?.maxBytes ?? null
			},
			derive
		);
	}

	/** Reads the server's limits, who is signed in, and the uploads left unfinished here. */
	async init(): Promise<void> {
		try {
			const config = await this.deps.loadConfig();
			if (this.deps.submission) this.update({ config, remember: false });
			else await this.chooseFor(config);
		} catch (err) {
			this.update({ failure: failureOf(err) });
		}
		// A submission resumes on its request's page; a share on the upload page.
		const requestId = this.deps.submission?.requestId;
		const interrupted = await this.deps.pending.list().catch(() => []);
		this.update({ interrupted: interrupted.filter((u) => u.requestId === requestId) });
	}

	/** The expiries and limits this sender may choose (restricted mode: who is signed in). */
	private async chooseFor(config: ServerConfig): Promise<void> {
		const restricted = config.uploadAccess === 'restricted';
		// The server's choices show even if asking who is signed in fails below.
		this.update({ config, restricted, maxDownloads: config.downloads.default, expiries: allowedExpiries(config.expiry.options, null) });
		const account = restricted ? await currentAccount(this.deps.api) : null;
		const expiries = allowedExpiries(config.expiry.options, account);
		const expiresIn = expiries.includes(config.expiry.default) ? config.expiry.default : expiries.at(-1)!;
		this.update({ account, signedOut: restricted && account === null, expiries, expiresIn });
	}

	/** Changes the sender's choices (the page's fields). */
	set(options: Partial<UploadOptions>): void {
		this.update(options);
	}

	/** Files picked, dropped or pasted join the share. */
	add(files: File[]): void {
		if (this.state.phase !== 'pick' || files.length === 0) return;
		this.update({ files: [...this.state.files, ...files], failure: null });
		engine().catch(() => {}); // ready by the click on Send; a failure shows then
	}

	/**
	 * Files from a drop or a picker, once read (folders walked) and checked readable: a folder with
	 * no file in it, or an entry that cannot be read, adds nothing and says which.
	 */
	async addFrom(read: Promise<File[]>): Promise<void> {
		if (this.state.phase !== 'pick') return;
		let files: File[];
		try {
			files = await read;
			await checkReadable(files);
		} catch (err) {
			if (this.state.phase === 'pick') this.update({ failure: failureOf(err) });
			return;
		}
		this.add(files);
	}

	remove(index: number): void {
		if (this.state.phase !== 'pick') return;
		this.update({ files: this.state.files.filter((_, i) => i !== index) });
	}

	/** Text pasted outside a field joins the note, up to its limit. */
	pasteText(text: string): void {
		if (this.state.phase !== 'pick' || text === '') return;
		const { note } = this.state;
		this.update({ note: (note ? `${note}\n${text}` : text).slice(0, MAX_NOTE_LENGTH), failure: null });
	}

	/** Creates the share, then sends it; resolves when this attempt has settled. */
	async start(): Promise<void> {
		const s = this.state;
		if (!s.config || s.phase !== 'pick') return;
		if (!s.hasContent) return this.update({ failure: failure('NOTHING_TO_SEND') });
		// Checked here too, not only by the disabled button: nothing is made that the server would refuse.
		if (s.tooLarge) return this.update({ failure: failure(s.submissionMaxBytes === null ? 'TOO_LARGE' : 'SUBMISSION_TOO_LARGE') });
		const attempt = this.begin();
		this.update({ phase: 'creating', failure: null, progress: startProgress(s.total) });
		let created: UploadJob;
		try {
			const { startUpload } = await engine();
			created = await startUpload(
				{
					files: s.files,
					expiresIn: s.expiresIn,
					maxDownloads: s.maxDownloads,
					note: s.note.trim() === '' ? undefined : s.note,
					password: s.password || undefined,
					remember: s.remember,
					submission: this.deps.submission && { requestId: this.deps.submission.requestId, requestKey: this.deps.submission.requestKey }
				},
				this.uploadDeps(attempt, s.config)
			);
		} catch (err) {
			// Paused or cancelled before the share existed: nothing to resume, nothing went wrong.
			if (this.attempt === attempt)
				this.settle({ phase: 'pick', progress: null, failure: attempt.controller.signal.aborted ? null : failureOf(err) });
			return;
		}
		// Cancelled while the share was being created: it exists now, so it is deleted.
		if (attempt.cancelled) return this.discard(created.pending);
		this.job = created;
		// Paused while the share was being created: it exists now, ready to resume.
		if (attempt.controller.signal.aborted) return this.settle({ phase: 'paused' });
		await this.run();
	}

	/** Sends what the server is still missing: after Pause, and as the retry after a failure. */
	async resume(): Promise<void> {
		if (this.state.phase !== 'paused' || !this.job) return;
		await this.run();
	}

	/** Stops sending (or waiting to reconnect); the share stays on the server, ready to resume. */
	pause(): void {
		this.attempt?.controller.abort();
	}

	/** Stops sending and deletes the partial share, now or as soon as it has been created. */
	async cancel(): Promise<void> {
		const { job, attempt } = this;
		this.job = null;
		this.attempt = null;
		if (attempt) {
			attempt.cancelled = true;
			attempt.controller.abort();
		}
		this.update({ phase: 'pick', progress: null });
		if (job) await this.discard(job.pending);
	}

	/** Carries on an interrupted upload with the same files picked again. */
	async resumeInterrupted(upload: PendingUpload, files: File[]): Promise<void> {
		if (this.state.phase !== 'pick') return;
		this.update({ failure: null });
		try {
			const resumed = await (await engine()).resumeUpload(upload, files);
			if (!resumed) return this.update({ failure: failure('NOT_SAME_FILES') });
			this.job = resumed;
			this.update({ files, interrupted: this.state.interrupted.filter((u) => u.id !== upload.id), progress: null });
		} catch (err) {
			return this.update({ failure: failureOf(err) });
		}
		await this.run();
	}

	/** Deletes an interrupted upload's partial share and forgets it here. */
	async discardInterrupted(upload: PendingUpload): Promise<void> {
		this.update({ interrupted: this.state.interrupted.filter((u) => u.id !== upload.id) });
		await this.discard(upload);
	}

	/** After a finished upload: an empty form for the next one (the options are kept). */
	reset(): void {
		if (this.state.phase !== 'done') return;
		this.update({ phase: 'pick', files: [], note: '', password: '', result: null, progress: null });
	}

	private begin(): Attempt {
		this.attempt = { controller: new AbortController(), cancelled: false };
		return this.attempt;
	}

	/** The current attempt is over: it is no longer what Pause or Cancel reach. */
	private settle(patch: Partial<UploadState>): void {
		this.attempt = null;
		this.update(patch);
	}

	/**
	 * Sends what the server is missing; a pause or a failure leaves the job ready to resume, and a
	 * network failure waits to reconnect. `phase` is what shows until the first part arrives.
	 */
	private async run(phase: 'uploading' | 'reconnecting' = 'uploading'): Promise<void> {
		const job = this.job;
		const config = this.state.config;
		if (!job || !config) return;
		const attempt = this.begin();
		this.update({ phase, failure: null, progress: this.state.progress ?? startProgress(job.source.size) });
		try {
			const result = await (await engine()).runUpload(job, this.uploadDeps(attempt, config));
			if (this.attempt !== attempt) return; // cancelled as it finished: Cancel deletes it
			this.job = null;
			this.attempt = null;
			const { pending } = job;
			const remembered = pending.remember ? await this.remember(pending, result) : false;
			// The password is not kept once the share no longer needs it.
			this.update({ phase: 'done', result, resultHasPassword: Boolean(pending.passwordKey), remembered, password: '' });
		} catch (err) {
			if (this.attempt !== attempt) return;
			if (!attempt.controller.signal.aborted && unreachable(err)) return this.reconnect();
			this.settle({ phase: 'paused', failure: attempt.controller.signal.aborted ? null : failureOf(err) });
		}
	}

	/** The retries are spent and the server is still out of reach: wait for the network, then run again. */
	private async reconnect(): Promise<void> {
		const waiting = this.begin(); // what Pause and Cancel reach meanwhile
		this.update({ phase: 'reconnecting', progress: this.state.progress && stalled(this.state.progress) });
		try {
			await this.wait(RECONNECT_EVERY_MS, waiting.controller.signal);
		} catch {
			// Paused or cancelled while waiting: handled below.
		}
		if (this.attempt !== waiting) return; // cancelled
		if (waiting.controller.signal.aborted) return this.settle({ phase: 'paused' });
		await this.run('reconnecting');
	}

	/**
	 * Waits `ms`, or less: until the browser reports it is online again. Rejects if `signal`
	 * aborts. Used between retries too, so that a network that comes back is used at once.
	 */
	private async wait(ms: number, signal: AbortSignal): Promise<void> {
		const online = new AbortController();
		const unsubscribe = this.deps.online?.(() => online.abort()) ?? (() => {});
		try {
			await (this.deps.retryEnv ?? realRetryEnv).sleep(ms, AbortSignal.any([signal, online.signal]));
		} catch (err) {
			if (signal.aborted || !online.signal.aborted) throw err;
		} finally {
			unsubscribe();
		}
	}

	private uploadDeps(attempt: Attempt, config: ServerConfig): UploadDeps {
		return {
			api: this.deps.api,
			config,
			crypto: this.deps.crypto(),
			pending: this.deps.pending,
			passwordKdf: this.deps.passwordKdf,
			parallel: this.deps.parallel,
			signal: attempt.controller.signal,
			onProgress: (progress) => {
				if (this.attempt !== attempt) return;
				// Bytes arrived again: connected. (A report without new bytes proves nothing.)
				if (this.state.phase !== 'reconnecting') return this.update({ progress });
				const connected = progress.done > (this.state.progress?.done ?? 0);
				this.update(connected ? { progress, phase: 'uploading' } : { progress: stalled(progress) });
			},
			onRetry: (err) => {
				if (this.attempt === attempt && this.state.phase === 'uploading' && unreachable(err))
					this.update({ phase: 'reconnecting', progress: this.state.progress && stalled(this.state.progress) });
			},
			retryEnv: { ...(this.deps.retryEnv ?? realRetryEnv), sleep: (ms, signal) => this.wait(ms, signal ?? attempt.controller.signal) }
		};
	}

	/** Adds the finished share to "My uploads"; a browser without storage only loses the list. */
	private async remember(pending: PendingUpload, done: UploadResult): Promise<boolean> {
		const now = (this.deps.now ?? Date.now)();
		try {
			await this.deps.myUploads.save({
				id: done.id,
				secret: done.secret,
				ownerToken: done.ownerToken,
				files: pending.files.map((f) => ({ name: f.name, size: f.size })),
				size: done.size,
				hasNote: pending.hasNote ?? false,
				hasPassword: Boolean(pending.passwordKey),
				expiresAt: done.expiresAt || now + pending.expiresIn * 1000,
				maxDownloads: done.maxDownloads,
				createdAt: now
			});
			return true;
		} catch {
			this.update({ failure: failure('STORAGE_UNAVAILABLE') });
			return false;
		}
	}

	/** Deletes a partial share from the server and forgets it here; a failure is shown, not thrown. */
	private async discard(upload: PendingUpload): Promise<void> {
		await engine()
			.then(({ cancelUpload }) => cancelUpload(upload, { api: this.deps.api, pending: this.deps.pending }))
			.catch((err: unknown) => this.update({ failure: failureOf(err) }));
	}
}

/** Nothing moves while reconnecting: no speed, no time left. */
function stalled(progress: Progress): Progress {
	return { ...progress, bytesPerSecond: 0, secondsLeft: null };
}

/** The server is out of reach (the network, or a proxy or server that is down), not refusing. */
function unreachable(err: unknown): boolean {
	return err instanceof ApiError && err.transient;
}

/** The fields that follow from the others. */
function derive(s: UploadState): UploadState {
	const total = s.files.reduce((sum, f) => sum + f.size, 0);
	const hasContent = s.files.length > 0 || s.note.trim() !== '';
	const tooLarge = s.config !== null && (total > s.config.maxShareBytes || overSubmissionLimit(s, total));
	const busy = s.phase === 'creating' || s.phase === 'uploading' || s.phase === 'reconnecting' || s.phase === 'paused';
	return { ...s, total, hasContent, tooLarge, busy, canStart: s.config !== null && hasContent && !tooLarge && s.phase === 'pick' };
}

/**
 * A submission's limit is on its ciphertext (files, then note, in records with a tag each), as the
 * server checks it: known before anything is made or sent.
 */
function overSubmissionLimit(s: UploadState, total: number): boolean {
	if (s.submissionMaxBytes === null) return false;
	const plain = total + new TextEncoder().encode(s.note.trim() === '' ? '' : s.note).length;
	return plain + TAG_BYTES * Math.max(1, Math.ceil(plain / DEFAULT_RECORD_SIZE)) > s.submissionMaxBytes;
}
