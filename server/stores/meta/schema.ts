import type { RequestState, ShareState } from './types';

/**
 * The tables as Kysely sees them. Times are integer milliseconds (BIGINT, so PostgreSQL can use
 * the same queries later); booleans are 0/1 integers for the same reason.
 */
export interface Database {
	shares: SharesTable;
	parts: PartsTable;
	tickets: TicketsTable;
	attempts: AttemptsTable;
	users: UsersTable;
	sessions: SessionsTable;
	api_tokens: ApiTokensTable;
	requests: RequestsTable;
}

export interface SharesTable {
	id: string;
	state: ShareState;
	size: number;
	part_size: number;
	parts: number;
	header: Uint8Array | null;
	metadata: Uint8Array | null;
	read_token_hash: Uint8Array | null;
	owner_token_hash: Uint8Array | null;
	/** Format v2 password shares (FORMAT.md §3): W, KC, SHA-256(U); null otherwise and once wiped. */
	key_share: Uint8Array | null;
	key_commitment: Uint8Array | null;
	unlock_token_hash: Uint8Array | null;
	expires_in: number;
	expires_at: number | null;
	max_downloads: number;
	downloads: number;
	created_at: number;
	completed_at: number | null;
	last_part_at: number;
	last_claim_at: number | null;
	ended_at: number | null;
	blob_upload: string | null;
	blob_gone: number;
	/** The user account that created the share (restricted mode); null otherwise. */
	owner_user_id: string | null;
	/** When a complete began sealing this upload's parts; null when none is under way. */
	completing_since: number | null;
	/** A file request's submission (FORMAT.md §11.4): its request, and the ephemeral public key E (wiped with the secrets). */
	request_id: string | null;
	ephemeral_key: Uint8Array | null;
}

/** File requests (docs/API.md, "File requests"). Submissions are rows of `shares` with `request_id`. */
export interface RequestsTable {
	id: string;
	state: RequestState;
	/** Null once expired (wiped with the other client bytes). */
	owner_token_hash: Uint8Array | null;
	public_key: Uint8Array | null;
	key_tag: Uint8Array | null;
	sealed_info: Uint8Array | null;
	expires_at: number;
	max_submissions: number;
	max_submission_bytes: number;
	/** Submissions counted so far (each create, whatever became of it). */
	submissions: number;
	created_at: number;
	/** When it was closed or expired. */
	ended_at: number | null;
	/** The account that created it (restricted mode); null otherwise. */
	owner_user_id: string | null;
}

export interface PartsTable {
	share_id: string;
	n: number;
	size: number;
	etag: string | null;
}

export interface TicketsTable {
	hash: Uint8Array;
	share_id: string;
	expires_at: number;
}

/** A wrong-token counter; `key` is a hash of `share:<id>` or `client:<address>`. */
export interface AttemptsTable {
	key: string;
	count: number;
	reset_at: number;
}

export interface UsersTable {
	id: string;
	/** Lower-case, unique. */
	name: string;
	password_hash: string;
	disabled: number;
	quota_bytes: number | null;
	quota_shares: number | null;
	max_expiry: number | null;
	created_at: number;
	updated_at: number;
}

/** Login sessions and API tokens are stored as SHA-256 of their 32 random bytes only. */
export interface SessionsTable {
	hash: Uint8Array;
	user_id: string;
	created_at: number;
	expires_at: number;
}

export interface ApiTokensTable {
	id: string;
	user_id: string;
	name: string;
	hash: Uint8Array;
	created_at: number;
	last_used_at: number | null;
}
