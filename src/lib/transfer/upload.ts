import { ApiError, type ApiClient, type RequestOptions } from '../api/client';
import { pathOf } from '../folders';
import type { CreateShareRequest, ServerConfig } from '../api/types';
import {
	buildMetadata,
	createShareKeys,
	createSubmissionSecret,
	decodeHeader,
	decodeSecret,
	DEFAULT_ARGON2,
	DEFAULT_RECORD_SIZE,
	derivePasswordKey,
	encodeSecret,
	fromBase64Url,
	generateSecret,
	layoutForPlainSize,
	openShareKeys,
	sealMetadata,
	sha256,
	TAG_BYTES,
	toBase64Url,
	type PasswordKdf,
	type ByteSource,
	type RecordLayout
} from '../crypto';
import type { CryptoBackend } from './crypto-backend';
import { identify, matchFiles, type PendingUpload, type PendingUploadStore } from '../uploads/pending-uploads';
import { ProgressMeter, type ProgressListener } from './progress';
import { DEFAULT_RETRY, realRetryEnv, runPool, withRetry, type RetryEnv } from './retry';

export interface UploadRequest {
	/** May be empty when there is a note: a note-only share has one empty record. */
	files: File[];
	expiresIn: number;
	maxDownloads: number;
	/** Plain text for the recipient, sealed with the metadata (FORMAT.md §5). */
	note?: string;
	/** A second factor (FORMAT.md §3): Argon2id-stretched; the server checks it (unlock) and counts wrong ones. */
	password?: string;
	/** Keep the finished share in "My uploads" in this browser (the page does it on completion). */
	remember?: boolean;
	/**
	 * Send to a file request instead (FORMAT.md §11.4): the secret comes from an ephemeral key
	 * agreement with `requestKey` (check it first: checkRequestKey), and `expiresIn`/`maxDownloads`
	 * are the request's, not sent. No password.
	 */
	submission?: { requestId: string; requestKey: Uint8Array };
}

export interface UploadResult {
	id: string;
	/** The link secret, base64url: the part after `#`. */
	secret: string;
	ownerToken: string;
	expiresAt: number;
	maxDownloads: number;
	/** Plaintext bytes in the share. */
	size: number;
}

export interface UploadDeps {
	api: ApiClient;
	config: ServerConfig;
	crypto: CryptoBackend;
	pending: PendingUploadStore;
	/** Runs Argon2id for a password (a Web Worker in the browser); in-thread by default. */
	passwordKdf?: PasswordKdf;
	/** Parts in flight at once. */
	parallel?: number;
	signal?: AbortSignal;
	onProgress?: ProgressListener;
	/** Waits between retries (tests, or a wait that ends early when the browser is back online). */
	retryEnv?: RetryEnv;
	/** Hears each transient failure that is about to be retried. */
	onRetry?: (err: unknown) => void;
	/**
	 * The content (the files in this order, then the note) when not a Blob of the files: the CLI
	 * reads from disk (Node 20's fs.openAsBlob gets sizes from 4 GiB on wrong).
	 */
	content?: ContentSource;
}

/** Builds the content of an upload from its files, in order, and the note's bytes. */
export type ContentSource = (files: File[], note: Uint8Array) => ByteSource;

/** An upload in progress: enough to send any part again, in this tab or after a reload. */
export interface UploadJob {
	pending: PendingUpload;
	key: CryptoKey;
	source: Blob | ByteSource;
	layout: RecordLayout;
}

/** Parts in flight. Measured with `npm run bench` on 2 cores: see docs/SELF-HOSTING.md. */
export const DEFAULT_PARALLEL_PARTS = 3;

/** Whole records per part: the server's preferred size, within its limits and its part count. */
export function partSizeFor(config: ServerConfig, layout: RecordLayout): number {
	const recordBytes = layout.recordSize + TAG_BYTES;
	const wanted = Math.max(config.partSize.preferred, Math.ceil(layout.cipherSize / config.maxParts));
	const size = Math.max(1, Math.ceil(wanted / recordBytes)) * recordBytes;
	if (size > config.partSize.max) throw new ApiError('TOO_LARGE', 'These files are larger than this server accepts.');
	return size;
}

/** Creates the share on the server and remembers it locally, ready for `runUpload`. */
export async function startUpload(request: UploadRequest, deps: UploadDeps): Promise<UploadJob> {
	const { api, config, signal } = deps;
	// The note follows the files in the content, so that reading it spends a download (FORMAT.md §5).
	const noteBytes = request.note ? new TextEncoder().encode(request.note) : new Uint8Array(0);
	const source = deps.content?.(request.files, noteBytes) ?? new Blob([...request.files, noteBytes]);
	const password = request.password || undefined;
	if (request.submission && password) throw new TypeError('a submission to a file request has no password');
	const submitted = request.submission ? await createSubmissionSecret(request.submission.requestKey) : undefined;
	const secret = submitted?.secret ?? generateSecret();
	// With a password the salt is made here: Argon2id needs it before the header exists.
	const kdf = password ? { ...DEFAULT_ARGON2 } : null;
	const salt = globalThis.crypto.getRandomValues(new Uint8Array(32));
	const passwordKey = password ? await (deps.passwordKdf ?? derivePasswordKey)(password, { salt, kdf }) : undefined;
	signal?.throwIfAborted();
	const { headerBytes, keys, password: held } = await createShareKeys({ secret, recordSize: DEFAULT_RECORD_SIZE, kdf, passwordKey, salt });
	const layout = layoutForPlainSize(source.size, DEFAULT_RECORD_SIZE);
	const metadata = buildMetadata(
		request.files.map((f) => ({ name: pathOf(f), size: f.size, type: f.type })),
		{ noteBytes: noteBytes.length }
	);
	const sealed = await sealMetadata(keys.metadataKey, metadata);
	const ownerTokenBytes = globalThis.crypto.getRandomValues(new Uint8Array(32));
	const partSize = partSizeFor(config, layout);
	// A submission sends the share's fields but its expiry and downloads (the request's), plus E.
	const create = (body: CreateShareRequest, opts: RequestOptions) => {
		if (!submitted || !request.submission) return api.createShare(body, opts);
		const { expiresIn: _expiresIn, maxDownloads: _maxDownloads, password: _password, ...fields } = body;
		return api.createSubmission(request.submission.requestId, { ...fields, ephemeralKey: toBase64Url(submitted.ephemeralKey) }, opts);
	};
	const created = await create(
		{
			size: layout.cipherSize,
			partSize,
			expiresIn: request.expiresIn,
			maxDownloads: request.maxDownloads,
			header: toBase64Url(headerBytes),
			metadata: toBase64Url(sealed),
			readTokenHash: toBase64Url(await sha256(keys.readToken)),
			ownerTokenHash: toBase64Url(await sha256(ownerTokenBytes)),
			// What the server holds of a password share (FORMAT.md §3): it checks U, and keeps W until then.
			...(held && {
				password: {
					keyShare: toBase64Url(held.keyShare),
					keyCommitment: toBase64Url(held.keyCommitment),
					unlockTokenHash: toBase64Url(await sha256(held.unlockToken))
				}
			})
		},
		{ signal }
	);
	const pending: PendingUpload = {
		id: created.id,
		ownerToken: toBase64Url(ownerTokenBytes),
		secret: encodeSecret(secret),
		header: toBase64Url(headerBytes),
		partSize,
		parts: created.parts,
		files: request.files.map(identify),
		expiresIn: request.expiresIn,
		maxDownloads: request.maxDownloads,
		startedAt: Date.now(),
		// Kept only until the upload completes, so that a resumed upload needs no password prompt.
		passwordKey: passwordKey && toBase64Url(passwordKey),
		keyShare: held ? toBase64Url(held.keyShare) : undefined,
		keyCommitment: held ? toBase64Url(held.keyCommitment) : undefined,
		remember: request.remember ?? false,
		hasNote: Boolean(request.note),
		// Part of the content: a resumed upload needs it to rebuild the last parts.
		note: request.note || undefined,
		requestId: request.submission?.requestId
	};
	await deps.pending.save(pending);
	return { pending, key: keys.contentKey, source, layout };
}

/**
 * Rebuilds an interrupted upload from what was remembered and the same files picked again.
 * Returns null if `files` are not the files the upload started with.
 */
export async function resumeUpload(pending: PendingUpload, files: File[], content?: ContentSource): Promise<UploadJob | null> {
	const ordered = matchFiles(pending.files, files);
	if (!ordered) return null;
	const header = decodeHeader(fromBase64Url(pending.header));
	const passwordKey = pending.passwordKey ? fromBase64Url(pending.passwordKey) : undefined;
	const unlocked =
		pending.keyShare && pending.keyCommitment
			? { keyShare: fromBase64Url(pending.keyShare), keyCommitment: fromBase64Url(pending.keyCommitment) }
			: undefined;
	const keys = await openShareKeys(header, decodeSecret(pending.secret), passwordKey, unlocked);
	// An upload started before notes moved into the content has no `note` here, nor in its content.
	const note = new TextEncoder().encode(pending.note ?? '');
	const source = content?.(ordered, note) ?? new Blob([...ordered, note]);
	return { pending, key: keys.contentKey, source, layout: layoutForPlainSize(source.size, header.recordSize) };
}

/** Sends every part the server does not have yet, then completes the share. */
export async function runUpload(job: UploadJob, deps: UploadDeps): Promise<UploadResult> {
	const { api, signal } = deps;
	const { id, ownerToken } = job.pending;
	const status = await retrying(() => api.listParts(id, ownerToken, { signal }), deps);
	if (!status.complete) {
		const received = new Set(status.received);
		const missing = Array.from({ length: status.parts }, (_, n) => n).filter((n) => !received.has(n));
		await sendParts(job, missing, deps);
	}
	const done = status.complete ? await completedShare(api, id, deps) : await complete(api, id, ownerToken, deps);
	await deps.pending.remove(id);
	return {
		id,
		secret: job.pending.secret,
		ownerToken,
		expiresAt: done.expiresAt,
		maxDownloads: done.maxDownloads,
		size: job.source.size
	};
}

/**
 * Completes the share. A retry whose first answer was lost meets 409 ALREADY_COMPLETE: the
 * server checks the owner token before the state, so that answer proves the share was completed
 * with this owner token, and the expiry and limit are read back from the share itself.
 */
async function complete(
	api: ApiClient,
	id: string,
	ownerToken: string,
	deps: UploadDeps
): Promise<{ expiresAt: number; maxDownloads: number }> {
	try {
		return await retrying(() => api.complete(id, ownerToken, { signal: deps.signal }), deps);
	} catch (err) {
		if (err instanceof ApiError && err.code === 'ALREADY_COMPLETE') return completedShare(api, id, deps);
		throw err;
	}
}

/** The expiry and limit of a share that is already complete, as the server holds them (public info). */
async function completedShare(api: ApiClient, id: string, deps: UploadDeps): Promise<{ expiresAt: number; maxDownloads: number }> {
	const info = await retrying(() => api.info(id, { signal: deps.signal }), deps);
	return { expiresAt: info.expiresAt, maxDownloads: info.maxDownloads };
}

/** `withRetry` with this upload's signal, waits and retry listener. */
function retrying<T>(fn: () => Promise<T>, deps: UploadDeps): Promise<T> {
	return withRetry(fn, deps.signal, DEFAULT_RETRY, deps.retryEnv ?? realRetryEnv, deps.onRetry);
}

/** Removes the partial share from the server and forgets it here. */
export async function cancelUpload(pending: PendingUpload, deps: Pick<UploadDeps, 'api' | 'pending'>): Promise<void> {
	try {
		await deps.api.deleteShare(pending.id, pending.ownerToken);
	} catch (err) {
		// Already gone is what we wanted.
		if (!(err instanceof ApiError && ['NOT_FOUND', 'DELETED', 'EXPIRED'].includes(err.code))) throw err;
	}
	await deps.pending.remove(pending.id);
}

/** Starts and finishes an upload in one go. */
export async function uploadShare(request: UploadRequest, deps: UploadDeps): Promise<UploadResult> {
	return runUpload(await startUpload(request, deps), deps);
}

/** Encrypts and sends the given parts, in parallel, each retried on transient failures. */
async function sendParts(job: UploadJob, parts: number[], deps: UploadDeps): Promise<void> {
	const { layout, key, source } = job;
	const recordsPerPart = job.pending.partSize / (layout.recordSize + TAG_BYTES);
	const plainBytes = (n: number) => {
		const start = n * recordsPerPart * layout.recordSize;
		return Math.max(0, Math.min(layout.plainSize, start + recordsPerPart * layout.recordSize) - start);
	};
	const meter = new ProgressMeter(layout.plainSize, deps.onProgress);
	meter.add(layout.plainSize - parts.reduce((sum, n) => sum + plainBytes(n), 0));
	// The first part to arrive, and the first after a failure, are reported at once, whatever
	// the meter's pace: they tell the page that the connection works (again).
	let reportNext = true;
	const partDeps: UploadDeps = {
		...deps,
		onRetry: (err) => {
			reportNext = true;
			meter.report(); // the count while reconnecting includes every part that did arrive
			deps.onRetry?.(err);
		}
	};

	try {
		await runPool(parts, deps.parallel ?? DEFAULT_PARALLEL_PARTS, async (n) => {
			const first = n * recordsPerPart;
			const count = Math.min(recordsPerPart, layout.records - first);
			const part = {
				key,
				source,
				layout,
				first,
				count,
				origin: deps.api.origin,
				id: job.pending.id,
				n,
				ownerToken: job.pending.ownerToken,
				direct: deps.config.directTransfers === true
			};
			await retrying(() => deps.crypto.sendPart(part, deps.signal), partDeps);
			meter.add(plainBytes(n));
			if (reportNext) {
				reportNext = false;
				meter.report();
			}
		});
	} catch (err) {
		// Paused or failed: show the parts that did arrive, whatever the last report skipped.
		meter.report();
		throw err;
	}
}
