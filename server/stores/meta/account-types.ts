/**
 * Where user accounts, their login sessions and API tokens live (restricted upload mode). Like
 * the MetaStore, every check that must hold under concurrency is made inside one transaction
 * that locks the user's row first, so several server instances can share the database.
 */
import type { NewShare } from './types';

/** Per-user limits; null: no limit beyond the server's own. */
export interface UserLimits {
	/** Ciphertext bytes of live (uploading or ready) shares. */
	quotaBytes: number | null;
	/** Number of live shares. */
	quotaShares: number | null;
	/** Longest expiry, in seconds. */
	maxExpiry: number | null;
}

export interface UserRecord extends UserLimits {
	id: string;
	name: string;
	/** A PHC string (`$argon2id$v=19$m=…`). */
	passwordHash: string;
	disabled: boolean;
	createdAt: number;
}

export interface NewUser extends UserLimits {
	id: string;
	name: string;
	passwordHash: string;
	createdAt: number;
}

export interface Usage {
	bytes: number;
	shares: number;
}

export interface ApiTokenRecord {
	id: string;
	name: string;
	createdAt: number;
	lastUsedAt: number | null;
}

export type QuotaRefusal =
	{ reason: 'disabled' } | { reason: 'bytes'; used: number; limit: number } | { reason: 'shares'; used: number; limit: number };

export interface AccountStore {
	/** False if the name is taken. */
	addUser(user: NewUser): Promise<boolean>;
	findUserByName(name: string): Promise<UserRecord | undefined>;
	listUsers(): Promise<(UserRecord & { usage: Usage })[]>;
	/** Disabling also ends the user's sessions. False if there is no such user. */
	setDisabled(name: string, disabled: boolean, now: number): Promise<boolean>;
	/** Replaces the password and ends every session and API token of the user. */
	setPassword(name: string, passwordHash: string, now: number): Promise<boolean>;
	/** Changes the limits given (undefined: unchanged, null: no limit). */
	setLimits(name: string, limits: Partial<UserLimits>, now: number): Promise<boolean>;

	createSession(session: { hash: Uint8Array; userId: string; createdAt: number; expiresAt: number }): Promise<void>;
	/** The enabled user of an unexpired session. */
	findSession(hash: Uint8Array, now: number): Promise<UserRecord | undefined>;
	deleteSession(hash: Uint8Array): Promise<void>;
	deleteExpiredSessions(now: number): Promise<number>;

	createApiToken(token: { id: string; userId: string; name: string; hash: Uint8Array; createdAt: number }): Promise<void>;
	/** The enabled user of a token (recording when it was used). */
	findApiToken(hash: Uint8Array, now: number): Promise<UserRecord | undefined>;
	listApiTokens(userId: string): Promise<ApiTokenRecord[]>;
	/** False if the user has no such token. */
	deleteApiToken(userId: string, id: string): Promise<boolean>;

	usage(userId: string): Promise<Usage>;
	/**
	 * Records a share owned by the user if the user is enabled and the share fits the quota, in
	 * one transaction that locks the user's row: concurrent uploads cannot both pass the check.
	 */
	insertOwnedShare(userId: string, share: NewShare, now: number): Promise<QuotaRefusal | undefined>;
	/** The limits of the user who owns a share; undefined for a share made without an account. */
	ownerLimits(shareId: string): Promise<UserLimits | undefined>;
}
