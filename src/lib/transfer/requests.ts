/**
 * File requests on the client (FORMAT.md §11, API.md "File requests"), in plain values for a page
 * controller and the CLI alike: the requester creates a request, lists and opens its submissions;
 * a submitter opens a request link (checking the key the server serves) and sends files through
 * the ordinary upload engine. No SvelteKit imports.
 */
import type { ApiClient, RequestOptions } from '../api/client';
import type { PublicRequestInfo, SubmissionInfo } from '../api/types';
import {
	checkRequestKey,
	decodeSecret,
	encodeSecret,
	fromBase64Url,
	generateRequestKeyPair,
	generateSecret,
	openRequestInfo,
	openSubmissionSecret,
	requestKeyTag,
	sealRequestInfo,
	sha256,
	toBase64Url,
	type RequestInfo,
	type RequestKeyPair
} from '../crypto';
import { openShare, type OpenedShare } from './download';
import { uploadShare, type UploadDeps } from './upload';

/** What the requester keeps: the link's parts, the owner token and the key pair (IndexedDB or a key file). */
export interface CreatedRequest {
	id: string;
	/** rs, base64url: the part of the link after `#`. Never sent to the server. */
	secret: string;
	/** Bearer token for listing, closing and deleting; the server holds only its SHA-256. */
	ownerToken: string;
	keys: RequestKeyPair;
	info: PublicRequestInfo;
}

export interface NewRequest extends RequestInfo {
	/** One of the server's `expiry.options`. */
	expiresIn: number;
	maxSubmissions: number;
	/** Ciphertext bytes one submission may have (at most the server's `maxShareBytes`). */
	maxSubmissionBytes: number;
	/** A key pair made by the caller (default: a new one). */
	keys?: RequestKeyPair;
	/** 32 bytes chosen by the caller (the CLI derives it from the private key); default random. */
	ownerToken?: Uint8Array;
}

/** `https://HOST/r/<id>#<rs>`. */
export function requestLink(origin: string, id: string, secret: string): string {
	return `${origin.replace(/\/$/, '')}/r/${id}#${secret}`;
}

/** Makes the key pair and rs, seals the title and message, and creates the request. */
export async function createFileRequest(api: ApiClient, request: NewRequest, opts?: RequestOptions): Promise<CreatedRequest> {
	const keys = request.keys ?? (await generateRequestKeyPair());
	const rs = generateSecret();
	const owner = request.ownerToken ?? globalThis.crypto.getRandomValues(new Uint8Array(32));
	const info = await api.createRequest(
		{
			ownerTokenHash: toBase64Url(await sha256(owner)),
			publicKey: toBase64Url(keys.publicKey),
			keyTag: toBase64Url(await requestKeyTag(rs, keys.publicKey)),
			sealedInfo: toBase64Url(await sealRequestInfo(rs, { title: request.title, message: request.message })),
			expiresIn: request.expiresIn,
			maxSubmissions: request.maxSubmissions,
			maxSubmissionBytes: request.maxSubmissionBytes
		},
		opts
	);
	return { id: info.id, secret: encodeSecret(rs), ownerToken: toBase64Url(owner), keys, info };
}

/** What a submitter sees of a request, once its key is checked against the link. */
export interface OpenedRequest {
	id: string;
	info: PublicRequestInfo;
	/** The title and message, decrypted with rs. */
	request: RequestInfo;
	/** R, checked: the key every submission is sealed to. */
	publicKey: Uint8Array;
}

/**
 * Submitter side: reads the public info and checks the served key against the link's rs
 * (REQUEST_KEY_MISMATCH if the server swapped it) before anything is encrypted, then decrypts the
 * title and message. BAD_SECRET for a damaged link, before any request.
 */
export async function openFileRequest(api: ApiClient, id: string, secretText: string, opts?: RequestOptions): Promise<OpenedRequest> {
	const rs = decodeSecret(secretText);
	const info = await api.requestInfo(id, opts);
	const publicKey = fromBase64Url(info.publicKey);
	await checkRequestKey(rs, publicKey, fromBase64Url(info.keyTag));
	const request = await openRequestInfo(rs, fromBase64Url(info.sealedInfo));
	return { id, info, request, publicKey };
}

/** What a submitter keeps once its files are sent: no key, no token, nothing that reads them. */
export interface SubmissionReceipt {
	requestId: string;
	id: string;
	/** Plaintext bytes sent. */
	size: number;
	/** This client's clock when the server confirmed the complete. */
	sentAt: number;
}

/**
 * Sends files (and a note) to an opened request through the ordinary upload engine: parts,
 * retries and resume are a share's. The secret and tokens are forgotten once it completes.
 */
export async function submitFiles(
	opened: Pick<OpenedRequest, 'id' | 'publicKey'>,
	files: File[],
	deps: UploadDeps,
	note?: string
): Promise<SubmissionReceipt> {
	const done = await uploadShare(
		{ files, note, expiresIn: 0, maxDownloads: 0, remember: false, submission: { requestId: opened.id, requestKey: opened.publicKey } },
		deps
	);
	return { requestId: opened.id, id: done.id, size: done.size, sentAt: Date.now() };
}

/** Requester side: the live submissions (request owner token). */
export function listSubmissions(
	api: ApiClient,
	created: Pick<CreatedRequest, 'id' | 'ownerToken'>,
	opts?: RequestOptions
): Promise<SubmissionInfo[]> {
	return api.listSubmissions(created.id, created.ownerToken, opts);
}

/**
 * Requester side: a submission's secret from the private key, then the submission opened as a
 * share (header commitment checked, metadata decrypted); download it with DownloadSession.
 */
export async function openSubmission(
	api: ApiClient,
	keys: RequestKeyPair,
	submission: Pick<SubmissionInfo, 'id' | 'ephemeralKey'>,
	opts?: RequestOptions
): Promise<OpenedShare> {
	const secret = await openSubmissionSecret(keys, fromBase64Url(submission.ephemeralKey));
	return openShare(api, submission.id, encodeSecret(secret), { signal: opts?.signal });
}

export function closeFileRequest(
	api: ApiClient,
	created: Pick<CreatedRequest, 'id' | 'ownerToken'>,
	opts?: RequestOptions
): Promise<PublicRequestInfo> {
	return api.closeRequest(created.id, created.ownerToken, opts);
}

export function deleteSubmission(
	api: ApiClient,
	created: Pick<CreatedRequest, 'id' | 'ownerToken'>,
	submissionId: string,
	opts?: RequestOptions
): Promise<void> {
	return api.deleteSubmission(created.id, submissionId, created.ownerToken, opts);
}
