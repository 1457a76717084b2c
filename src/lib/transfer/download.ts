import { ApiError, type ApiClient } from '../api/client';
import type { PublicShareInfo } from '../api/types';
// The crypto core's modules one by one, not its index: the index also reaches the file-request
// code, which the bundler would then put in the recipient page's first chunk.
import { fromBase64Url, toBase64Url } from '../crypto/base64url';
import { isCryptoError } from '../crypto/errors';
import { decodeHeader, type Header } from '../crypto/header';
import { checkLink, deriveUnlockToken, openShareKeys, type KeyShare, type ShareKeys } from '../crypto/keys';
import { cipherRangeForPlain, layoutForCipherSize, type RecordLayout } from '../crypto/layout';
import { openMetadata, type Metadata } from '../crypto/metadata';
import { derivePasswordKey, type PasswordKdf } from '../crypto/password';
import { decodeSecret } from '../crypto/secret';
import type { CryptoBackend } from './crypto-backend';
import { ProgressMeter, type ProgressListener } from './progress';
import { DEFAULT_RETRY, isTransient, realRetryEnv, waitToRetry, type RetryEnv } from './retry';
import type { SaveSink } from '../save/sinks';

/** A share whose keys check out and whose metadata is decrypted; nothing spent yet. */
export interface OpenedShare {
	id: string;
	info: PublicShareInfo;
	header: Header;
	keys: ShareKeys;
	layout: RecordLayout;
	metadata: Metadata;
}

const PASSWORD_ERRORS = {
	PASSWORD_REQUIRED: 'This share needs its password.',
	WRONG_PASSWORD: 'Wrong password.',
	PASSWORD_LOCKED: 'Too many wrong passwords for this share; try again later.',
	CLIENT_LOCKED: 'Too many wrong attempts from this network; try again later.'
} as const;

/**
 * Why a share with a password could not be opened; `code` is a key of messages.ts. PASSWORD_LOCKED
 * and CLIENT_LOCKED: the server's attempt limit (429 TOO_MANY_ATTEMPTS) refuses guesses for
 * `retryAfterSeconds`, because of this share's wrong guesses or this client's.
 */
export class PasswordError extends Error {
	constructor(
		readonly code: keyof typeof PASSWORD_ERRORS,
		readonly retryAfterSeconds?: number
	) {
		super(PASSWORD_ERRORS[code]);
		this.name = 'PasswordError';
	}
}

/** What the public info says before anything secret is used: enough to know if a password is needed. */
export interface ShareHeader {
	info: PublicShareInfo;
	header: Header;
}

/**
 * Checks the link's key (BAD_SECRET before any request), then reads the public info, which costs
 * nothing, and checks the key against its header (WRONG_KEY: a wrong link, found before any
 * password is asked for; a v1 password share can only check it with the password). `header.kdf`
 * set means the share has a password: ask for it before `openShare`.
 */
export async function readShareHeader(
	api: ApiClient,
	id: string,
	secretText: string,
	opts: { signal?: AbortSignal } = {}
): Promise<ShareHeader> {
	const secret = decodeSecret(secretText);
	const info = await api.info(id, { signal: opts.signal });
	const header = decodeHeader(fromBase64Url(info.header));
	await checkLink(header, secret);
	return { info, header };
}

export interface OpenShareOptions {
	signal?: AbortSignal;
	/** The Argon2id output, if the caller derived it already. */
	passwordKey?: Uint8Array;
	/** The password, stretched here with `passwordKdf` (in-thread by default). */
	password?: string;
	passwordKdf?: PasswordKdf;
	/** Public info already read (readShareHeader), so it is not fetched twice. */
	info?: PublicShareInfo;
}

/**
 * Reads a share's public info, derives its keys from the link secret (and password) and decrypts
 * its metadata, before any download is claimed. A wrong or damaged link fails on the header's
 * commitment before the password is stretched or anything is sent. Format v2 with a password
 * (FORMAT.md §3): the password is checked by the server's unlock step, which counts wrong ones
 * (WRONG_PASSWORD, then PASSWORD_LOCKED while the attempt limit waits), and the key share it
 * returns is checked against its key commitment before anything is decrypted. Format v1: the
 * commitment covers the password too, so a wrong one fails here without a request.
 */
export async function openShare(api: ApiClient, id: string, secretText: string, opts: OpenShareOptions = {}): Promise<OpenedShare> {
	const secret = decodeSecret(secretText);
	const info = opts.info ?? (await api.info(id, { signal: opts.signal }));
	const header = decodeHeader(fromBase64Url(info.header));
	const checked = await checkLink(header, secret);
	let passwordKey = header.kdf ? opts.passwordKey : undefined;
	if (header.kdf && !passwordKey) {
		if (!opts.password) throw new PasswordError('PASSWORD_REQUIRED');
		passwordKey = await (opts.passwordKdf ?? derivePasswordKey)(opts.password, header);
	}
	const unlocked = header.version === 2 && passwordKey ? await unlock(api, id, header, secret, passwordKey, opts.signal) : undefined;
	let keys: ShareKeys;
	try {
		keys = await openShareKeys(header, secret, passwordKey, unlocked);
	} catch (err) {
		// Only where the commitment covers the password (v1) does a mismatch mean a wrong password.
		if (!checked && isCryptoError(err, 'WRONG_KEY')) throw new PasswordError('WRONG_PASSWORD');
		throw err;
	}
	const layout = layoutForCipherSize(info.size, header.recordSize);
	const { metadata: sealed } = await api.metadata(id, toBase64Url(keys.readToken), { signal: opts.signal });
	const metadata = await openMetadata(keys.metadataKey, fromBase64Url(sealed), layout.plainSize);
	return { id, info, header, keys, layout, metadata };
}

/** The server's check of the password (v2): the key share for the right unlock token. */
async function unlock(
	api: ApiClient,
	id: string,
	header: Header,
	secret: Uint8Array,
	passwordKey: Uint8Array,
	signal: AbortSignal | undefined
): Promise<KeyShare> {
	const token = await deriveUnlockToken(header, secret, passwordKey);
	try {
		const answer = await api.unlock(id, toBase64Url(token), { signal });
		return { keyShare: fromBase64Url(answer.keyShare), keyCommitment: fromBase64Url(answer.keyCommitment) };
	} catch (err) {
		if (err instanceof ApiError && err.code === 'WRONG_PASSWORD') throw new PasswordError('WRONG_PASSWORD');
		if (err instanceof ApiError && err.code === 'TOO_MANY_ATTEMPTS') {
			// The server's own count of seconds; the header as a proxy may have rewritten it otherwise.
			const seconds = typeof err.details?.retryAfter === 'number' ? err.details.retryAfter : Number(err.retryAfter);
			const code = err.details?.limit === 'client' ? 'CLIENT_LOCKED' : 'PASSWORD_LOCKED';
			throw new PasswordError(code, Number.isFinite(seconds) && seconds > 0 ? seconds : undefined);
		}
		throw err;
	}
}

export interface DownloadDeps {
	api: ApiClient;
	crypto: CryptoBackend;
	signal?: AbortSignal;
	/** The retry policy's clock, sleep and jitter; tests replace them. */
	retryEnv?: RetryEnv;
	/** A ticket from an earlier claim that may still be valid (a resumed download): no new download is spent. */
	ticket?: string;
	/** Whether ranges are read from the bucket (ServerConfig.directTransfers); unset: asked from GET /config once. */
	direct?: boolean;
	/** Hears each failure of a read that will be retried, before the wait (the page says it waits). */
	onRetry?: (err: unknown) => void;
	/**
	 * Called once the retries are spent and the server is still out of reach: resolves when it is
	 * worth another round (the network is back), rejects to give up. Without it, the read fails.
	 */
	reconnect?: (err: unknown, signal: AbortSignal | undefined) => Promise<void>;
}

/**
 * One recipient's download of a share: claims once (spending one download), then reads any
 * plaintext range through Range requests, resuming after network failures where it stopped.
 */
export class DownloadSession {
	private ticket: Promise<string> | null = null;
	private direct: Promise<boolean> | null = null;
	/** Public info said the upload is complete: a later cut is no longer the sender's. */
	private sealed = false;
	downloadsLeft: number;
	/** The download is spent and its ticket held: reading again (a continue) spends nothing more. */
	claimed = false;

	constructor(
		readonly share: OpenedShare,
		private readonly deps: DownloadDeps
	) {
		this.downloadsLeft = share.info.downloadsLeft;
		if (deps.ticket) {
			this.ticket = Promise.resolve(deps.ticket);
			this.claimed = true;
		}
	}

	/** Spends one download. Called once, on the recipient's explicit action. */
	claim(): Promise<string> {
		this.ticket ??= this.deps.api
			.claim(this.share.id, toBase64Url(this.share.keys.readToken), { signal: this.deps.signal })
			.then((claim) => {
				this.downloadsLeft = claim.downloadsLeft;
				this.claimed = true;
				return claim.ticket;
			})
			.catch((err: unknown) => {
				this.ticket = null;
				throw err;
			});
		return this.ticket;
	}

	/** Whether this server has clients read ranges straight from its bucket. */
	private directTransfers(signal: AbortSignal | undefined): Promise<boolean> {
		if (this.deps.direct !== undefined) return Promise.resolve(this.deps.direct);
		this.direct ??= this.deps.api
			.config({ signal })
			.then((config) => config.directTransfers === true)
			.catch((err: unknown) => {
				this.direct = null;
				throw err;
			});
		return this.direct;
	}

	/** Decrypts plaintext bytes [start, end) of the share into `sink`, then closes it. */
	async save(start: number, end: number, sink: SaveSink, onProgress?: ProgressListener, signal = this.deps.signal): Promise<void> {
		try {
			await this.copy(start, end, sink, onProgress, signal);
			await sink.close();
		} catch (err) {
			// Never let a partial file look complete.
			await sink.abort(err).catch(() => {});
			throw err;
		}
	}

	/**
	 * Decrypts plaintext bytes [start, end) into `sink` and leaves it open: on a failure the bytes
	 * written so far stay there, so that a caller can continue the same sink from where it stopped.
	 */
	async copy(
		start: number,
		end: number,
		sink: SaveSink,
		onProgress: ProgressListener | undefined,
		signal: AbortSignal | undefined
	): Promise<void> {
		const { layout } = this.share;
		const ticket = await this.claim();
		const direct = await this.directTransfers(signal);
		const range = cipherRangeForPlain(layout, start, end);
		const meter = new ProgressMeter(end - start, onProgress);
		let record = range.firstRecord;
		let failures = 0;
		let behindAt = -1; // the record of the last cut put down to the sender
		while (record < range.endRecord) {
			const before = record;
			try {
				record = await this.copyRecords(ticket, direct, record, range.endRecord, start, end, sink, (n) => meter.add(n), signal);
			} catch (err) {
				if (!(err instanceof PartialCopy)) throw err;
				meter.report();
				record = err.record;
				// The share is still uploading and the server already waited for the part: ask again now.
				if (notYetUploaded(err.cause) && !signal?.aborted) {
					failures = 0;
					continue;
				}
				// A body cut while the share uploads may be the server giving up on the sender's next
				// part (docs/API.md): if so, that is waiting for the sender, not a network failure.
				// Once per record: a second cut there without progress is the network's (no tight loop).
				if (isTransient(err.cause) && !signal?.aborted && record !== behindAt && (await this.senderBehind(signal))) {
					behindAt = record;
					failures = 0;
					continue;
				}
				if (record > before) failures = 0;
				failures++;
				if (!signal?.aborted && failures < DEFAULT_RETRY.attempts && isTransient(err.cause)) this.deps.onRetry?.(err.cause);
				// The uploads' policy: backoff with jitter, or the server's Retry-After if it asks for longer.
				if (await waitToRetry(err.cause, failures, signal, DEFAULT_RETRY, this.deps.retryEnv ?? realRetryEnv)) continue;
				// Still out of reach after a minute: wait for the network (if the caller does) rather than fail.
				if (!this.deps.reconnect || signal?.aborted || !unreachable(err.cause)) throw err.cause;
				await this.deps.reconnect(err.cause, signal);
				failures = 0;
			}
		}
		if (end === start) meter.report();
	}

	/**
	 * After a cut body, whether the share (uploading when opened) is still uploading, or complete
	 * meanwhile, asked of public info: the server is reached, so reading again at once is waiting
	 * for the sender, not a failure. (Public info counts the bytes received, not which parts, and
	 * parts arrive out of order, so it cannot say whether the one needed is there.) False if the
	 * server cannot be reached either, or the upload ended.
	 */
	private async senderBehind(signal: AbortSignal | undefined): Promise<boolean> {
		if (this.share.info.state !== 'uploading' || this.sealed) return false;
		try {
			const info = await this.deps.api.info(this.share.id, { signal });
			// Complete: the sealed blob has every record; a later cut is the network's.
			if (info.state === 'ready') this.sealed = true;
			return info.state === 'uploading' || info.state === 'ready';
		} catch {
			return false;
		}
	}

	/**
	 * Streams records [first, endRecord) once. Returns the record it reached; on a failure throws
	 * PartialCopy with the first record not yet written, so the caller resumes from there.
	 */
	private async copyRecords(
		ticket: string,
		direct: boolean,
		first: number,
		endRecord: number,
		start: number,
		end: number,
		sink: SaveSink,
		progress: (bytes: number) => void,
		signal: AbortSignal | undefined
	): Promise<number> {
		const { layout, keys, id } = this.share;
		let position = first * layout.recordSize; // plaintext offset of the next byte read
		const request = {
			origin: this.deps.api.origin,
			id,
			ticket,
			key: keys.contentKey,
			layout,
			firstRecord: first,
			endRecord,
			direct
		};
		// A file open in a crypto worker is written there, by the worker that decrypts: the page
		// only hears how many bytes each chunk held.
		const reader: { read(): Promise<Uint8Array | number | null>; close(): void } = sink.file
			? sink.file.openRange(request, start, end)
			: this.deps.crypto.openRange(request);
		const onAbort = () => reader.close();
		signal?.addEventListener('abort', onAbort, { once: true });
		try {
			// The next chunk is asked for before this one is written, so that the worker's hand-off
			// and the sink's write overlap (measured by `npm run bench`: see tests/bench/findings.ts).
			let next = reader.read();
			next.catch(() => {}); // surfaced when awaited; not "unhandled" if a write fails first
			for (let chunk = await next; chunk !== null; chunk = await next) {
				next = reader.read();
				next.catch(() => {});
				const at = position;
				// Before the write: a sink may take (detach) the chunk's buffer.
				position += typeof chunk === 'number' ? chunk : chunk.byteLength;
				// Only the wanted bytes: the first and last records may hold neighbouring files.
				const from = Math.max(start, at);
				const to = Math.min(end, position);
				if (to > from) {
					if (typeof chunk === 'number') sink.wrote?.(to - from);
					else await sink.write(chunk.subarray(from - at, to - at));
					progress(to - from);
				}
			}
			return endRecord;
		} catch (err) {
			if ((isTransient(err) || notYetUploaded(err)) && !signal?.aborted)
				throw new PartialCopy(Math.floor(position / layout.recordSize), err);
			throw err;
		} finally {
			signal?.removeEventListener('abort', onAbort);
			reader.close();
		}
	}
}

/** The server is out of reach (the network, or a proxy or server that is down), not refusing. */
function unreachable(err: unknown): boolean {
	return err instanceof ApiError && err.transient;
}

/** A read of a share still uploading reached a part the sender has not sent yet (docs/API.md). */
function notYetUploaded(err: unknown): boolean {
	return err instanceof ApiError && err.code === 'NOT_YET_UPLOADED';
}

/** A copy that stopped part-way; `record` is where to resume. */
class PartialCopy extends Error {
	constructor(
		readonly record: number,
		override readonly cause: unknown
	) {
		super('Transfer interrupted');
	}
}
