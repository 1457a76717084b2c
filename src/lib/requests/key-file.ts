import { SHARE_ID_PATTERN } from '../api/types';
import {
	CryptoError,
	decodeSecret,
	exportRequestKey,
	fromBase64Url,
	importRequestKey,
	type Argon2Params,
	type PasswordKdf
} from '../crypto';
import { storedRequest, type StoredRequest } from './request-store';

/**
 * The requester's key file (FORMAT.md §11.5): the private key under Argon2id(passphrase), and in
 * its sealed `request` field what this app needs to list the request again elsewhere.
 */

/** A key file without the `request` field (from another client): the key alone names no request to list. */
export class KeyFileWithoutRequestError extends Error {
	readonly code = 'KEY_FILE_NO_REQUEST';
	constructor() {
		super('This key file does not say which request it belongs to.');
	}
}

interface Payload {
	v: 1;
	id: string;
	ownerToken: string;
	secret: string;
	title: string;
	message?: string;
	createdAt: number;
}

export interface KeyFileOptions {
	/** For tests: cheaper Argon2id costs than the format's defaults. */
	kdf?: Argon2Params;
	passwordKdf?: PasswordKdf;
}

/** The key file's text (JSON), to be saved as `keyFileName(request)`. */
export async function writeKeyFile(request: StoredRequest, passphrase: string, options: KeyFileOptions = {}): Promise<string> {
	const payload: Payload = {
		v: 1,
		id: request.id,
		ownerToken: request.ownerToken,
		secret: request.secret,
		title: request.title,
		...(request.message ? { message: request.message } : {}),
		createdAt: request.createdAt
	};
	const file = await exportRequestKey({ privateKey: request.exportKey, publicKey: request.publicKey }, passphrase.normalize('NFC'), {
		...options,
		request: new TextEncoder().encode(JSON.stringify(payload))
	});
	return JSON.stringify(file, null, 2) + '\n';
}

/** `sealdrop-request-<id>.json`: the id tells two files apart; the title stays inside. */
export const keyFileName = (request: Pick<StoredRequest, 'id'>): string => `sealdrop-request-${request.id}.json`;

function parsePayload(bytes: Uint8Array): Payload {
	let raw: unknown;
	try {
		raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
	} catch {
		throw new CryptoError('BAD_KEY_FILE', 'request is not UTF-8 JSON');
	}
	const p = raw as Partial<Payload> | null;
	const ok =
		p !== null &&
		typeof p === 'object' &&
		p.v === 1 &&
		typeof p.id === 'string' &&
		SHARE_ID_PATTERN.test(p.id) &&
		typeof p.ownerToken === 'string' &&
		typeof p.secret === 'string' &&
		typeof p.title === 'string' &&
		(p.message === undefined || typeof p.message === 'string') &&
		typeof p.createdAt === 'number';
	if (!ok) throw new CryptoError('BAD_KEY_FILE', 'request is not a request');
	try {
		decodeSecret(p.secret!);
		if (fromBase64Url(p.ownerToken!).length !== 32) throw new Error('owner token');
	} catch {
		throw new CryptoError('BAD_KEY_FILE', 'request has a malformed secret or token');
	}
	return p as Payload;
}

/** Opens a key file with its passphrase: WRONG_PASSPHRASE, BAD_KEY_FILE, KDF_TOO_COSTLY, KEY_FILE_NO_REQUEST. */
export async function readKeyFile(text: string, passphrase: string, options: KeyFileOptions = {}): Promise<StoredRequest> {
	const keys = await importRequestKey(text, passphrase.normalize('NFC'), options);
	if (!keys.request) throw new KeyFileWithoutRequestError();
	const { id, ownerToken, secret, title, message, createdAt } = parsePayload(keys.request);
	return storedRequest({ id, ownerToken, secret, title, ...(message ? { message } : {}), createdAt }, keys);
}
