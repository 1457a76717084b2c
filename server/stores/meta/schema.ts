import type { ShareState } from './types';

/**
 * The tables as Kysely sees them. Times are integer milliseconds (BIGINT, so PostgreSQL can use
 * the same queries later); booleans are 0/1 integers for the same reason.
 */
export interface Database {
	shares: SharesTable;
	parts: PartsTable;
	tickets: TicketsTable;
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
