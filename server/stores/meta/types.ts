import type { AccountStore, QuotaRefusal } from './account-types';

/**
 * Where shares, parts, tickets and wrong-token counters live, one store per aggregate over one
 * database. Every state change is one conditional statement (or one transaction) that answers
 * whether it happened, so several server instances can share one database safely.
 */

/** `uploading` and `ready` are live; the others are tombstones (secrets wiped, blob deleted). */
export type ShareState = 'uploading' | 'ready' | 'expired' | 'deleted' | 'exhausted' | 'abandoned';

export const TOMBSTONE_STATES = ['expired', 'deleted', 'exhausted', 'abandoned'] as const satisfies readonly ShareState[];
export type TombstoneState = (typeof TOMBSTONE_STATES)[number];

export interface ShareRecord {
	id: string;
	state: ShareState;
	size: number;
	partSize: number;
	parts: number;
	/** Secrets and client bytes: null once the share is a tombstone. */
	header: Uint8Array | null;
	metadata: Uint8Array | null;
	readTokenHash: Uint8Array | null;
	ownerTokenHash: Uint8Array | null;
	/** A v2 password share's key share W, key commitment KC and SHA-256 of its unlock token; else null. */
	password: StoredPassword | null;
	/** Seconds, counted from complete. */
	expiresIn: number;
	/** Null until complete. */
	expiresAt: number | null;
	maxDownloads: number;
	downloads: number;
	createdAt: number;
	completedAt: number | null;
	lastPartAt: number;
	lastClaimAt: number | null;
	/** When the share became a tombstone. */
	endedAt: number | null;
	/** The blob store's handle for an upload in progress (an S3 UploadId), if it needs one. */
	blobUpload: string | null;
	blobGone: boolean;
	/** While uploading: when a complete began sealing the parts (no part is recorded then), else null. */
	completingSince: number | null;
	/** A file request's submission: its request id, else null. */
	requestId: string | null;
	/** A submission's ephemeral public key E (FORMAT.md §11.4); null otherwise and once wiped. */
	ephemeralKey: Uint8Array | null;
}

/** FORMAT.md §3: what the server holds of a v2 password share (secrets: wiped with the others). */
export interface StoredPassword {
	keyShare: Uint8Array;
	keyCommitment: Uint8Array;
	unlockTokenHash: Uint8Array;
}

export interface NewShare {
	id: string;
	size: number;
	partSize: number;
	parts: number;
	header: Uint8Array;
	metadata: Uint8Array;
	readTokenHash: Uint8Array;
	ownerTokenHash: Uint8Array;
	password?: StoredPassword | null;
	expiresIn: number;
	maxDownloads: number;
	createdAt: number;
	blobUpload: string | null;
	/** A file request's submission: its request and ephemeral public key. */
	submission?: { requestId: string; ephemeralKey: Uint8Array };
}

/** What an owner may change on a ready share. */
export interface ShareChanges {
	expiresAt?: number;
	maxDownloads?: number;
}

export interface PartRecord {
	n: number;
	size: number;
	etag: string | null;
}

export interface TicketRecord {
	shareId: string;
	expiresAt: number;
}

/** A share whose blob must be deleted. */
export interface BlobToDelete {
	id: string;
	blobUpload: string | null;
}

/** Live shares of one state and their ciphertext bytes (for the storage gauges). */
export interface StateUsage {
	shares: number;
	bytes: number;
}

/** A wrong-token counter whose window is still running. */
export interface AttemptCounter {
	key: string;
	count: number;
	resetAt: number;
}

/**
 * The share itself: created, read, changed by its owner, deleted. Each change is one conditional
 * statement (or one transaction) that answers whether it happened.
 */
export interface ShareStore {
	insert(share: NewShare): Promise<void>;
	get(id: string): Promise<ShareRecord | undefined>;
	/** Records the upload handle of a share created without one yet; false if it has one or is gone. */
	setBlobUpload(id: string, blobUpload: string): Promise<boolean>;
	/**
	 * Changes a ready, unexpired share's expiry and/or download limit in one conditional
	 * statement (a new limit only if it is not below the downloads already counted); the updated
	 * share, or undefined if the condition failed.
	 */
	update(id: string, now: number, changes: ShareChanges): Promise<ShareRecord | undefined>;
	/**
	 * uploading|ready → deleted, wiping secrets and tickets; false if it was neither. Here and not
	 * on the TicketStore: the state change and the ticket deletion are one transaction, so no
	 * ticket of a deleted share outlives it.
	 */
	markDeleted(id: string, now: number): Promise<boolean>;
	/**
	 * Live shares and the bytes they hold: ready shares their size, uploading shares the parts
	 * received so far. One aggregate over the live rows, for /metrics.
	 */
	usage(): Promise<{ uploading: StateUsage; ready: StateUsage }>;
}

/**
 * An upload in progress: its part records and the complete that seals them. Methods that change
 * the share's row too (last part time, completing, ready) live here because they must be atomic
 * with the part records: a part is either recorded before a complete lists the parts, or refused.
 */
export interface PartStore {
	/**
	 * Stores (or replaces) a part's record if the share is uploading and no complete is sealing it
	 * (and, when `on` is given, its upload handle is still `on.blobUpload`); false otherwise.
	 */
	record(id: string, part: PartRecord, now: number, on?: { blobUpload: string | null }): Promise<boolean>;
	list(id: string): Promise<PartRecord[]>;
	/**
	 * Starts sealing an uploading share: sets completingSince = now (and lastPartAt, so the abandon
	 * rule counts from here) if no complete holds it, or the one that did began at or before
	 * `staleBefore` (it crashed). From then on no part is recorded. False if not taken.
	 */
	beginCompleting(id: string, now: number, staleBefore: number): Promise<boolean>;
	/**
	 * Ends a complete that began at `completingSince` without making the share ready: the share
	 * takes parts again, without the records of `dropParts`, and on upload handle `blobUpload` if
	 * given. False if that complete no longer holds the share.
	 */
	reopenUpload(
		id: string,
		completingSince: number,
		now: number,
		change: { dropParts: number[] | 'all'; blobUpload?: string | null }
	): Promise<boolean>;
	/**
	 * uploading → ready; false if the share was not uploading (or, when `completingSince` is given,
	 * if that complete no longer holds it).
	 */
	markReady(id: string, now: number, expiresAt: number, completingSince?: number): Promise<boolean>;
}

/** Download tickets. */
export interface TicketStore {
	/**
	 * Counts one download and stores the ticket, in one transaction whose UPDATE of the share is
	 * conditional (ready, unexpired, downloads left): undefined if nothing was counted. The count
	 * and the ticket are one transaction, so it lives with the tickets and writes the share's row.
	 */
	claim(
		id: string,
		now: number,
		ticket: { hash: Uint8Array; expiresAt: number },
		/** Also count it on a share still uploading (the server streams it, with no expiry yet). */
		options?: { uploading?: boolean }
	): Promise<{ downloads: number; maxDownloads: number } | undefined>;
	find(hash: Uint8Array): Promise<TicketRecord | undefined>;
}

/** The sweeper's work. Each transition returns the ids this call changed (so exactly one instance logs each). */
export interface SweepStore {
	/** ready shares whose expiresAt ≤ now → expired. */
	expireDue(now: number, limit: number): Promise<string[]>;
	/** ready shares with every download claimed and no unexpired ticket → exhausted. */
	exhaustDrained(now: number, limit: number): Promise<string[]>;
	/** uploading shares with no part since idleSince → abandoned. */
	abandonIdle(idleSince: number, now: number, limit: number): Promise<string[]>;
	listBlobsToDelete(limit: number): Promise<BlobToDelete[]>;
	/** Records that the blob is gone and drops the share's part records (also after a delete). */
	markBlobGone(id: string): Promise<void>;
	/** Among `ids`, those whose blob is not yet gone, each with its upload handle (orphan sweeping). */
	liveBlobs(ids: string[]): Promise<Map<string, string | null>>;
	deleteExpiredTickets(now: number): Promise<number>;
	/** Deletes tombstones (whose blob is gone) that ended at or before endedBefore. */
	purgeTombstones(endedBefore: number): Promise<number>;
}

/** Wrong-token counters (server/shares/attempts.ts), shared by every instance. */
export interface AttemptStore {
	/** The counters among `keys` whose window has not ended at `now`. */
	counts(keys: string[], now: number): Promise<AttemptCounter[]>;
	/**
	 * Adds one to `key` in one atomic upsert, starting a new `windowMs` window if none is running.
	 * A `sliding` window ends `windowMs` after the latest attempt instead of the first.
	 */
	add(key: string, now: number, windowMs: number, sliding?: boolean): Promise<void>;
	/** Deletes counters whose window ended at or before `now` (the sweeper). */
	deleteEnded(now: number): Promise<number>;
}

/**
 * One database, one store per aggregate. Every store over it is required: the wrong-token
 * counters (`attempts`) are a security control, and no caller can be given a MetaStore without
 * them. Failures that mean "busy, full or unreachable right now" reach callers as
 * StoreUnavailableError (server/stores/errors.ts), whatever the database.
 */
export interface MetaStore {
	readonly shares: ShareStore;
	readonly parts: PartStore;
	readonly tickets: TicketStore;
	readonly sweeping: SweepStore;
	readonly attempts: AttemptStore;
	/** User accounts, sessions and API tokens (restricted upload mode). */
	readonly accounts: AccountStore;
	/** File requests and the counting of their submissions. */
	readonly requests: RequestStore;

	/** Resolves if the database answers (for /readyz); rejects with the reason otherwise. */
	ping(): Promise<void>;
	/**
	 * Gives the space of deleted rows back to the file system (SQLite; PostgreSQL's autovacuum
	 * needs nothing, so it does nothing there). Run by the sweeper after it removed rows.
	 */
	compact(): Promise<void>;
	close(): Promise<void>;
}

/** Why a submission was not recorded: the request's state or limits, or its account's quota. */
export type SubmissionRefusal = { reason: 'request' } | QuotaRefusal;

/** `open` takes submissions; `closed` (by its owner) and `expired` (by the sweeper, secrets wiped) do not. */
export type RequestState = 'open' | 'closed' | 'expired';

export interface RequestRecord {
	id: string;
	state: RequestState;
	/** Null once expired. */
	ownerTokenHash: Uint8Array | null;
	publicKey: Uint8Array | null;
	keyTag: Uint8Array | null;
	sealedInfo: Uint8Array | null;
	expiresAt: number;
	maxSubmissions: number;
	/** Ciphertext bytes (a submission's `size`). */
	maxSubmissionBytes: number;
	submissions: number;
	createdAt: number;
	endedAt: number | null;
	ownerUserId: string | null;
}

export interface NewRequest {
	id: string;
	ownerTokenHash: Uint8Array;
	publicKey: Uint8Array;
	keyTag: Uint8Array;
	sealedInfo: Uint8Array;
	expiresAt: number;
	maxSubmissions: number;
	maxSubmissionBytes: number;
	createdAt: number;
	ownerUserId: string | null;
}

/** A submission as its requester lists it: a share row of the request, live or not. */
export type SubmissionRecord = Pick<
	ShareRecord,
	'id' | 'state' | 'size' | 'parts' | 'header' | 'ephemeralKey' | 'createdAt' | 'completedAt' | 'expiresAt' | 'downloads' | 'maxDownloads'
>;

/**
 * File requests. Counting a submission and recording its share row are one transaction whose
 * UPDATE of the request is conditional (open, unexpired, a slot left, not too large): exactly
 * `maxSubmissions` creates win, however many instances race.
 */
export interface RequestStore {
	insert(request: NewRequest): Promise<void>;
	get(id: string): Promise<RequestRecord | undefined>;
	/**
	 * Counts one submission and inserts its share row, owned by the request's account if it has
	 * one (restricted mode: then the account's quota must fit it, checked under the account's row
	 * lock as insertOwnedShare does). Undefined if done; else why not, and nothing is written.
	 */
	insertSubmission(
		share: NewShare & { submission: { requestId: string; ephemeralKey: Uint8Array } },
		now: number
	): Promise<SubmissionRefusal | undefined>;
	/** The request's submissions that are still live (uploading or ready), oldest first. */
	listSubmissions(requestId: string): Promise<SubmissionRecord[]>;
	/** open → closed; false if it was not open. */
	close(id: string, now: number): Promise<boolean>;
	/** open|closed requests whose expiresAt ≤ now → expired (secrets wiped); the ids this call changed. */
	expireDue(now: number, limit: number): Promise<string[]>;
	/** Live submissions of expired requests → expired tombstones (their blobs then go as any share's). */
	expireSubmissions(now: number, limit: number): Promise<string[]>;
	/** Deletes expired requests that ended at or before endedBefore (then 404, as purged shares). */
	purgeExpired(endedBefore: number): Promise<number>;
}
