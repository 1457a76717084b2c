import type { PublicRequestInfo } from '../api/types';
import type { MyUploadsStore } from '../uploads/my-uploads';
import { isTransient } from '../transfer/retry';
import { failure, failureOf, type Failure } from './failure';
import { Observable } from './observable';
import { UploadController, type UploadControllerDeps, type UploadState } from './upload-controller';

/**
 * A submitter's side of a file request link (`/r/<id>#<rs>`, FORMAT.md §11):
 * opening (the key the server serves is checked against the link) → open (pick files, a note,
 * send: the upload page's own engine and controller, sealed to the requester) → sent (a receipt)
 * → open again for more, while the request has room. unavailable: the request takes nothing
 * (missing, expired, closed, full, or its key swapped), said with its code; nothing was sent.
 */
export type SubmitPhase = 'opening' | 'open' | 'sent' | 'unavailable';

/** What the submitter is shown of the request: the requester's words and its limits. */
export interface RequestView {
	title: string;
	message: string;
	maxSubmissions: number;
	/** Ciphertext bytes one submission may have. */
	maxSubmissionBytes: number;
	submissionsLeft: number;
	expiresAt: number;
}

/** What the submitter keeps: no key, no token, nothing that reads the files back. */
export interface SubmitReceipt {
	requestId: string;
	/** The submission's id, as the requester's list shows it. */
	id: string;
	/** Plaintext bytes sent (files and note). */
	size: number;
	files: number;
	hasNote: boolean;
	sentAt: number;
}

export interface SubmitState {
	phase: SubmitPhase;
	request: RequestView | null;
	/** The upload of this page's submission, once the request is open (the upload page's controller). */
	upload: UploadController | null;
	/**
	 * Open, but taking no new submission (full or closed): only an upload this browser left
	 * unfinished for it can still be resumed.
	 */
	refusal: Failure | null;
	receipts: SubmitReceipt[];
	failure: Failure | null;
	/** Unavailable only because the request could not be read (the network, a server briefly down): `retry` may open it. */
	retryable: boolean;
}

export type SubmitControllerDeps = Omit<UploadControllerDeps, 'submission' | 'myUploads'>;

/** Refusals after which the request takes nothing from this page: the form goes away. */
const ENDS_REQUEST = new Set(['REQUEST_FULL', 'REQUEST_CLOSED', 'REQUEST_EXPIRED', 'REQUEST_NOT_FOUND']);

/** A submission is never listed in "My uploads" (UploadController keeps none with remember off). */
const NO_MY_UPLOADS: MyUploadsStore = {
	save: () => Promise.reject(new Error('a submission is not remembered')),
	get: () => Promise.resolve(undefined),
	list: () => Promise.resolve([]),
	forget: () => Promise.resolve()
};

/** The server's words for a share, said of the request (a submission is created against its request). */
export function requestFailure(f: Failure): Failure {
	switch (f.code) {
		case 'NOT_FOUND':
		case 'INVALID_ID':
			return failure('REQUEST_NOT_FOUND');
		case 'EXPIRED':
			return failure('REQUEST_EXPIRED');
		case 'TOO_LARGE':
			return failure('SUBMISSION_TOO_LARGE');
		default:
			return f;
	}
}

export class SubmitController extends Observable<SubmitState> {
	private unwatch: (() => void) | null = null;
	private requestId = '';
	private link: { id: string; secret: string } | null = null;
	private unlisten: (() => void) | null = null;

	constructor(private readonly deps: SubmitControllerDeps) {
		super({ phase: 'opening', request: null, upload: null, refusal: null, receipts: [], failure: null, retryable: false });
	}

	/**
	 * Reads the request and checks its key against rs before anything is encrypted (a swapped key:
	 * REQUEST_KEY_MISMATCH, nothing sent), then readies the upload, with any left unfinished here.
	 */
	async open(id: string, secret: string): Promise<void> {
		if (this.state.phase !== 'opening' || this.link) return;
		this.link = { id, secret };
		return this.read(id, secret);
	}

	/** Opens the request again after a network failure (the Retry button, or the browser back online). */
	async retry(): Promise<void> {
		if (this.state.phase !== 'unavailable' || !this.state.retryable || !this.link) return;
		this.update({ phase: 'opening', failure: null, retryable: false });
		await this.read(this.link.id, this.link.secret);
	}

	private async read(id: string, secret: string): Promise<void> {
		let opened: Awaited<ReturnType<typeof import('../transfer/requests').openFileRequest>>;
		try {
			// The crypto core comes with it: loaded when the page opens a request, not with the app.
			const { openFileRequest } = await import('../transfer/requests');
			opened = await openFileRequest(this.deps.api, id, secret);
		} catch (err) {
			// The network, or a server briefly down (a dynamic import that fails offline is a TypeError too).
			const retryable = isTransient(err);
			if (retryable) this.unlisten ??= this.deps.online?.(() => void this.retry()) ?? null;
			return this.update({ phase: 'unavailable', failure: requestFailure(failureOf(err)), retryable });
		}
		this.unlisten?.();
		this.unlisten = null;
		const { info, request } = opened;
		this.requestId = id;
		const upload = new UploadController({
			...this.deps,
			myUploads: NO_MY_UPLOADS,
			submission: { requestId: id, requestKey: opened.publicKey, maxBytes: info.maxSubmissionBytes }
		});
		await upload.init();
		const refusal = refusalOf(info);
		if (refusal && upload.state.interrupted.length === 0) return this.update({ phase: 'unavailable', failure: refusal });
		this.update({ phase: 'open', upload, refusal, request: { title: request.title, message: request.message ?? '', ...limitsOf(info) } });
		this.unwatch = upload.subscribe((s) => this.follow(upload, s));
	}

	/** After a receipt: the form again, for more files, while the request has room. */
	another(): void {
		if (this.state.phase !== 'sent' || !this.state.request || this.state.request.submissionsLeft <= 0) return;
		this.update({ phase: 'open', failure: null });
	}

	/** Stops following the upload (the page is gone). */
	destroy(): void {
		this.unwatch?.();
		this.unwatch = null;
		this.unlisten?.();
		this.unlisten = null;
	}

	/** The upload's outcomes, as the request sees them: a receipt, or a refusal that ends the request. */
	private follow(upload: UploadController, s: UploadState): void {
		const request = this.state.request;
		if (s.phase === 'done' && s.result && request) {
			const receipt: SubmitReceipt = {
				requestId: this.requestId,
				id: s.result.id,
				size: s.result.size,
				files: s.files.length,
				hasNote: s.note.trim() !== '',
				sentAt: (this.deps.now ?? Date.now)()
			};
			const submissionsLeft = Math.max(0, request.submissionsLeft - 1);
			this.update({ phase: 'sent', receipts: [receipt, ...this.state.receipts], request: { ...request, submissionsLeft }, failure: null });
			// The result holds the submission's secret and owner token: nothing here may read it back.
			upload.reset();
			return;
		}
		// A refusal of the create: said of the request; one that ends it takes the form away.
		const failed = s.failure && (s.phase === 'pick' ? requestFailure(s.failure) : s.failure);
		if (failed && ENDS_REQUEST.has(failed.code) && s.interrupted.length === 0)
			return this.update({ phase: 'unavailable', failure: failed });
		const shown = this.state.failure;
		if (failed?.code !== shown?.code || failed?.cause !== shown?.cause) this.update({ failure: failed });
	}
}

/** Why an open request takes no new submission now, or null if it takes one. */
function refusalOf(info: PublicRequestInfo): Failure | null {
	if (info.state === 'closed') return failure('REQUEST_CLOSED');
	if (info.submissionsLeft <= 0) return failure('REQUEST_FULL');
	return null;
}

function limitsOf(info: PublicRequestInfo): Omit<RequestView, 'title' | 'message'> {
	const { maxSubmissions, maxSubmissionBytes, submissionsLeft, expiresAt } = info;
	return { maxSubmissions, maxSubmissionBytes, submissionsLeft, expiresAt };
}
