import type { CreateShareResponse } from '../../src/lib/api/types';
import { decodeHeader } from '../../src/lib/crypto/header';
import { isCryptoError } from '../../src/lib/crypto/errors';
import { byteQuotaExceeded, expiryNotAllowed, ownerDisabled, shareQuotaExceeded } from '../accounts/errors';
import { invalidField as invalid, type AppError } from '../errors';
import type { QuotaRefusal, UserRecord } from '../stores/meta/account-types';
import type { StoredPassword } from '../stores/meta/types';
import { audit } from '../logger';
import type { ShareDeps } from './deps';
import { metadataTooLarge, shareTooLarge } from './errors';
import { partCount } from './layout';
import { newShareId } from './tokens';

export interface CreateShareInput {
	size: number;
	partSize: number;
	expiresIn: number;
	maxDownloads: number;
	header: Uint8Array;
	metadata: Uint8Array;
	readTokenHash: Uint8Array;
	ownerTokenHash: Uint8Array;
	/** Format v2 with a password: the key share W, its commitment KC and SHA-256 of the unlock token. */
	password?: StoredPassword;
	/** The account creating the share (restricted mode): its limits apply and it owns the share. */
	owner?: UserRecord;
}

/**
 * A header of a version this server reads (1, 2) that no reader would open is refused, above all one whose Argon2 costs would
 * make a recipient's device work for hours (FORMAT.md §2). A later version is stored as it is:
 * only its readers know its rules.
 */
export function assertReadableHeader(header: Uint8Array, password: StoredPassword | undefined): void {
	let needsKeyShare = false;
	try {
		const decoded = decodeHeader(header);
		needsKeyShare = decoded.version === 2 && decoded.kdf !== null;
	} catch (error) {
		if (!isCryptoError(error, 'UNSUPPORTED_VERSION')) {
			if (isCryptoError(error)) throw invalid('header', `${error.code}: ${error.message}`);
			throw error;
		}
	}
	// A v2 password share without its key share could never be opened; any other share has no use for one.
	if (needsKeyShare && !password) throw invalid('password', 'required: the header is format v2 with a password.');
	if (!needsKeyShare && password) throw invalid('password', 'only a format v2 header with a password takes one.');
}

/** The size, metadata and part limits of a new share (also a file request's submission); its number of parts. */
export function checkShareLayout(config: ShareDeps['config'], input: { size: number; partSize: number; metadata: Uint8Array }): number {
	if (input.size > config.maxShareBytes) throw shareTooLarge(config.maxShareBytes);
	if (input.metadata.length > config.maxMetadataBytes) throw metadataTooLarge(config.maxMetadataBytes);
	const { min, max } = config.partSize;
	if (input.partSize > max || (input.partSize < min && input.size > input.partSize)) {
		throw invalid('partSize', `must be ${min} … ${max} (smaller only when the share is a single part).`);
	}
	const parts = partCount(input.size, input.partSize);
	if (parts > config.maxParts) throw invalid('partSize', `too small: at most ${config.maxParts} parts.`);
	return parts;
}

/** Checks the request against the configured limits, prepares storage and records the share. */
export async function createShare(deps: ShareDeps, input: CreateShareInput): Promise<CreateShareResponse> {
	const { config, clock, meta } = deps;
	const parts = checkShareLayout(config, input);
	if (!config.expiryOptions.includes(input.expiresIn)) {
		throw invalid('expiresIn', `must be one of ${config.expiryOptions.join(', ')}.`);
	}
	if (!config.downloadOptions.includes(input.maxDownloads)) {
		throw invalid('maxDownloads', `must be one of ${config.downloadOptions.join(', ')}.`);
	}
	assertReadableHeader(input.header, input.password);
	const { owner, ...share } = input;
	if (owner) assertExpiryAllowed(owner.maxExpiry, input.expiresIn);

	const id = newShareId();
	const now = clock.now();
	// The row first, storage second: a crash in between leaves a row (swept as abandoned), never
	// storage that no row knows of.
	const record = { id, ...share, parts, createdAt: now, blobUpload: null };
	if (owner) {
		const refusal = await meta.accounts.insertOwnedShare(owner.id, record, now);
		if (refusal) throw quotaError(refusal, input.size);
	} else {
		await meta.shares.insert(record);
	}
	await beginStorage(deps, id);
	audit(deps.logger, 'share.create', {
		shareId: id,
		size: input.size,
		parts,
		expiresIn: input.expiresIn,
		maxDownloads: input.maxDownloads,
		...(owner ? { userId: owner.id } : {})
	});
	return { id, parts, uploadExpiresAt: now + config.abandonAfter * 1000 };
}

/** Prepares the blob upload of a share just recorded, and records its handle. */
export async function beginStorage(deps: ShareDeps, id: string): Promise<void> {
	const { meta, blobs, clock } = deps;
	let upload: string | null = null;
	try {
		upload = await blobs.begin(id);
		if (upload !== null && !(await meta.shares.setBlobUpload(id, upload)))
			throw new Error(`share ${id} went away while it was being created`);
	} catch (error) {
		// The share never existed for its client: make it a tombstone whose blob the sweeper deletes.
		await meta.shares.markDeleted(id, clock.now()).catch(() => {});
		await blobs.delete({ id, upload }).catch(() => {});
		throw error;
	}
}

/** A user's longest allowed expiry (restricted mode), for creating and for extending a share. */
export function assertExpiryAllowed(maxExpiry: number | null, expiresIn: number): void {
	if (maxExpiry !== null && expiresIn > maxExpiry) throw expiryNotAllowed(maxExpiry);
}

function quotaError(refusal: QuotaRefusal, size: number): AppError {
	if (refusal.reason === 'disabled') return ownerDisabled();
	if (refusal.reason === 'bytes') return byteQuotaExceeded(refusal.limit, refusal.used, size);
	return shareQuotaExceeded(refusal.limit, refusal.used);
}
