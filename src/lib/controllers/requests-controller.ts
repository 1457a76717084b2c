import { allowedExpiries, currentAccount } from '../accounts/account';
import type { ApiClient } from '../api/client';
import type { AccountInfo, PublicRequestInfo, ServerConfig, SubmissionInfo } from '../api/types';
import {
	encodeSecret,
	fromBase64Url,
	MAX_REQUEST_MESSAGE_LENGTH,
	MAX_REQUEST_TITLE_LENGTH,
	openSubmissionSecret,
	type PasswordKdf
} from '../crypto';
import { keyFileName, readKeyFile, writeKeyFile } from '../requests/key-file';
import { keysOf, storedRequest, type RequestStore, type StoredRequest } from '../requests/request-store';
import { closeFileRequest, createFileRequest, deleteSubmission, listSubmissions } from '../transfer/requests';
import { failure, failureOf, type Failure } from './failure';
import { Observable } from './observable';

/** The server takes 1 … 1000 submissions per request (API.md, POST /requests). */
export const MAX_SUBMISSIONS = 1000;
const MB = 1000 * 1000;
/** Size choices per submission (round in the units the page shows), up to the server's largest share. */
const SIZE_CHOICES = [10 * MB, 100 * MB, 1000 * MB, 10_000 * MB, 100_000 * MB];
/** A request is usually open for days: a week when the server offers it, else its default. */
const WEEK = 7 * 24 * 3600;

/** One of my requests: what this browser keeps, and what the server last said of it. */
export interface RequestView {
	request: StoredRequest;
	/** Live counts and state; null until the server answered. */
	info: PublicRequestInfo | null;
	/** Why the server gave no info (EXPIRED, NOT_FOUND, unreachable). */
	failure: Failure | null;
}

export interface NewRequestForm {
	title: string;
	message: string;
	expiresIn: number;
	maxSubmissions: number;
	maxSubmissionBytes: number;
}

export interface RequestsState {
	config: ServerConfig | null;
	account: AccountInfo | null;
	/** Restricted server, nobody signed in: creating needs an account (listing mine does not). */
	signedOut: boolean;
	expiries: number[];
	sizes: number[];
	form: NewRequestForm;
	canCreate: boolean;
	/** null while this browser's store is read. */
	requests: RequestView[] | null;
	/** The request whose link was just made (shown at the top). */
	created: string | null;
	/** The request whose submissions are shown, and them (null while listed). */
	open: { id: string; submissions: SubmissionInfo[] | null } | null;
	/** The submission opened for download. */
	viewing: string | null;
	/** What is in progress: 'create', 'import', 'export:<id>', 'close:<id>', 'delete:<sid>'. */
	busy: string | null;
	failure: Failure | null;
	/** The action `failure` came from ('import', 'export:<id>', …; see `busy`), null for others. */
	failedAt: string | null;
	/** The request whose own action (close, export, list, open or delete a submission) failed: said in its entry, not at the top. */
	failedFor: string | null;
	/** The request a key file just brought in. */
	imported: string | null;
}

export interface RequestsControllerDeps {
	api: ApiClient;
	loadConfig: () => Promise<ServerConfig>;
	store: RequestStore;
	/** Opens a submission as a share (the recipient's page controller): its downloads, ZIP and saving are reused. */
	receive: { load(id: string, key: string): Promise<void> };
	/** Hands a key file to the person (a download in the browser). */
	saveFile: (name: string, text: string) => void;
	/** Argon2id for key files (a worker in the browser). */
	passwordKdf?: PasswordKdf;
	/** Cheaper Argon2id costs for tests. */
	keyFileKdf?: { memoryKiB: number; passes: number; parallelism: number };
}

function derive(state: RequestsState): RequestsState {
	const { form, config } = state;
	const title = form.title.trim();
	const canCreate =
		config !== null &&
		!state.signedOut &&
		state.busy !== 'create' &&
		title.length > 0 &&
		form.title.length <= MAX_REQUEST_TITLE_LENGTH &&
		form.message.length <= MAX_REQUEST_MESSAGE_LENGTH &&
		Number.isInteger(form.maxSubmissions) &&
		form.maxSubmissions >= 1 &&
		form.maxSubmissions <= MAX_SUBMISSIONS;
	return { ...state, canCreate };
}

/** What a request's entry says of it: `full` is open but takes no more submissions. */
export type RequestStatus = 'open' | 'full' | 'closed' | 'expired';

export function requestStatus(view: Pick<RequestView, 'info' | 'failure'>): RequestStatus | null {
	const { info } = view;
	if (!info) return view.failure?.code === 'EXPIRED' ? 'expired' : null;
	if (info.state === 'open' && info.submissionsLeft <= 0) return 'full';
	return info.state;
}

/**
 * Whether a submission can be opened now: once complete, or while it uploads on a server that
 * streams (API.md, "Reading a share that is still uploading"): the requester then reads what has
 * arrived and the download waits for the rest, as a recipient of a share still uploading does.
 */
export function canOpenSubmission(submission: Pick<SubmissionInfo, 'state'>, config: Pick<ServerConfig, 'streaming'> | null): boolean {
	return submission.state === 'ready' || config?.streaming === true;
}

/** The requester's page: make requests, watch them fill, read, delete and close, move the key. */
export class RequestsController extends Observable<RequestsState> {
	constructor(private readonly deps: RequestsControllerDeps) {
		super(
			{
				config: null,
				account: null,
				signedOut: false,
				expiries: [],
				sizes: [],
				form: { title: '', message: '', expiresIn: 0, maxSubmissions: 10, maxSubmissionBytes: 0 },
				canCreate: false,
				requests: null,
				created: null,
				open: null,
				viewing: null,
				busy: null,
				failure: null,
				failedAt: null,
				failedFor: null,
				imported: null
			},
			derive
		);
	}

	/** Reads this browser's requests, the server's limits and who is signed in, then the live counts. */
	async init(): Promise<void> {
		const stored = await this.deps.store.list().catch((err: unknown) => {
			this.update({ failure: failureOf(err) });
			return [];
		});
		this.update({ requests: stored.map((request) => ({ request, info: null, failure: null })) });
		try {
			const config = await this.deps.loadConfig();
			const sizes = [...SIZE_CHOICES.filter((n) => n < config.maxShareBytes), config.maxShareBytes];
			const size = sizes.includes(100 * MB) ? 100 * MB : sizes.at(-1)!;
			this.update({ config, sizes, expiries: allowedExpiries(config.expiry.options, null) });
			const account = config.uploadAccess === 'restricted' ? await currentAccount(this.deps.api) : null;
			const expiries = allowedExpiries(config.expiry.options, account);
			const preferred = expiries.includes(WEEK) ? WEEK : config.expiry.default;
			const expiresIn = expiries.includes(preferred) ? preferred : expiries.at(-1)!;
			this.update({
				account,
				signedOut: config.uploadAccess === 'restricted' && account === null,
				expiries,
				form: { ...this.state.form, expiresIn, maxSubmissionBytes: size }
			});
		} catch (err) {
			this.update({ failure: failureOf(err) });
		}
		await this.refresh();
	}

	/** The create form's fields. */
	set(form: Partial<NewRequestForm>): void {
		this.update({ form: { ...this.state.form, ...form } });
	}

	/** Makes the key pair and the request, and keeps both in this browser. */
	async create(): Promise<void> {
		if (!this.state.canCreate) return;
		const { form } = this.state;
		this.update({ busy: 'create', ...this.cleared(), created: null });
		try {
			const made = await createFileRequest(this.deps.api, {
				title: form.title.trim(),
				message: form.message.trim() || undefined,
				expiresIn: form.expiresIn,
				maxSubmissions: form.maxSubmissions,
				maxSubmissionBytes: form.maxSubmissionBytes
			});
			const message = form.message.trim();
			const request = await storedRequest(
				{
					id: made.id,
					secret: made.secret,
					ownerToken: made.ownerToken,
					title: form.title.trim(),
					...(message ? { message } : {}),
					createdAt: made.info.createdAt
				},
				made.keys
			);
			await this.deps.store.save(request);
			this.update({
				requests: [{ request, info: made.info, failure: null }, ...this.without(made.id)],
				created: made.id,
				form: { ...form, title: '', message: '' }
			});
		} catch (err) {
			this.update({ failure: failureOf(err) });
		} finally {
			this.update({ busy: null });
		}
	}

	/** Asks the server for every request's counts, and lists the open one's submissions again. */
	async refresh(): Promise<void> {
		const views = this.state.requests ?? [];
		await Promise.all(
			views.map(async ({ request }) => {
				let patch: Pick<RequestView, 'info' | 'failure'>;
				try {
					patch = { info: await this.deps.api.requestInfo(request.id), failure: null };
				} catch (err) {
					patch = { info: null, failure: failureOf(err) };
				}
				this.patchView(request.id, patch);
			})
		);
		const open = this.state.open;
		if (open) await this.listSubmissions(open.id);
	}

	/** Shows a request's submissions, or hides them if shown. */
	async toggle(id: string): Promise<void> {
		if (this.state.open?.id === id) return this.update({ open: null, viewing: null });
		this.update({ open: { id, submissions: null }, viewing: null, ...this.cleared() });
		await this.listSubmissions(id);
	}

	/** Derives the submission's secret with this browser's private key and opens it as a share. */
	async openSubmission(submission: Pick<SubmissionInfo, 'id' | 'ephemeralKey' | 'state'>): Promise<void> {
		const view = this.view(this.state.open?.id);
		if (!view) return;
		const failedFor = view.request.id;
		// A server that does not stream (S3) serves a submission only once complete.
		if (!canOpenSubmission(submission, this.state.config))
			return this.update({ failure: failure('NOT_READY'), failedAt: null, failedFor, viewing: null });
		this.update({ viewing: submission.id, ...this.cleared() });
		try {
			const secret = await openSubmissionSecret(keysOf(view.request), fromBase64Url(submission.ephemeralKey));
			await this.deps.receive.load(submission.id, encodeSecret(secret));
		} catch (err) {
			this.update({ failure: failureOf(err), failedAt: null, failedFor, viewing: null });
		}
	}

	async deleteSubmission(submissionId: string): Promise<void> {
		const view = this.view(this.state.open?.id);
		if (!view) return;
		await this.act(`delete:${submissionId}`, view.request.id, async () => {
			await deleteSubmission(this.deps.api, view.request, submissionId);
			if (this.state.viewing === submissionId) this.update({ viewing: null });
			await this.listSubmissions(view.request.id);
		});
	}

	/** No more submissions; those received stay readable until the request expires. */
	async close(id: string): Promise<void> {
		const view = this.view(id);
		if (!view) return;
		await this.act(`close:${id}`, id, async () => {
			this.patchView(id, { info: await closeFileRequest(this.deps.api, view.request), failure: null });
		});
	}

	/** Forgets a request in this browser (an expired one, or one moved to another device). */
	async forget(id: string): Promise<void> {
		await this.deps.store.forget(id).catch(() => {});
		this.update({ requests: this.without(id), ...(this.state.open?.id === id ? { open: null, viewing: null } : {}) });
	}

	/** Writes the private key (and what finds the request again) to a file under `passphrase`. */
	async exportKey(id: string, passphrase: string): Promise<boolean> {
		const view = this.view(id);
		if (!view || passphrase === '') return false;
		return this.act(`export:${id}`, id, async () => {
			const text = await writeKeyFile(view.request, passphrase, { kdf: this.deps.keyFileKdf, passwordKdf: this.deps.passwordKdf });
			this.deps.saveFile(keyFileName(view.request), text);
		});
	}

	/** Adds the request of a key file to this browser's list. */
	async importKey(text: string, passphrase: string): Promise<boolean> {
		if (passphrase === '') return false;
		this.update({ imported: null });
		return this.act('import', null, async () => {
			const request = await readKeyFile(text, passphrase, { passwordKdf: this.deps.passwordKdf });
			await this.deps.store.save(request);
			const existing = this.view(request.id);
			this.update({
				requests: [{ request, info: existing?.info ?? null, failure: null }, ...this.without(request.id)],
				imported: request.id
			});
			let patch: Pick<RequestView, 'info' | 'failure'>;
			try {
				patch = { info: await this.deps.api.requestInfo(request.id), failure: null };
			} catch (err) {
				patch = { info: null, failure: failureOf(err) };
			}
			this.patchView(request.id, patch);
		});
	}

	private async listSubmissions(id: string): Promise<void> {
		const view = this.view(id);
		if (!view) return;
		try {
			const submissions = await listSubmissions(this.deps.api, view.request);
			if (this.state.open?.id === id) this.update({ open: { id, submissions } });
		} catch (err) {
			if (this.state.open?.id === id)
				this.update({ open: { id, submissions: [] }, failure: failureOf(err), failedAt: null, failedFor: id });
		}
	}

	/** Runs one action at a time, saying what failed (and of which request); true when it succeeded. */
	private async act(busy: string, requestId: string | null, run: () => Promise<void>): Promise<boolean> {
		if (this.state.busy) return false;
		this.update({ busy, ...this.cleared() });
		try {
			await run();
			return true;
		} catch (err) {
			this.update({ failure: failureOf(err), failedAt: busy, failedFor: requestId });
			return false;
		} finally {
			this.update({ busy: null });
		}
	}

	private cleared(): Pick<RequestsState, 'failure' | 'failedAt' | 'failedFor'> {
		return { failure: null, failedAt: null, failedFor: null };
	}

	private view(id: string | undefined): RequestView | undefined {
		return id === undefined ? undefined : this.state.requests?.find((v) => v.request.id === id);
	}

	private without(id: string): RequestView[] {
		return (this.state.requests ?? []).filter((v) => v.request.id !== id);
	}

	private patchView(id: string, patch: Partial<RequestView>): void {
		this.update({ requests: (this.state.requests ?? []).map((v) => (v.request.id === id ? { ...v, ...patch } : v)) });
	}
}
