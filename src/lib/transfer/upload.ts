import type { ApiClient } from '../api/client';
import type { ServerConfig } from '../api/types';
import {
	buildMetadata,
	createShareKeys,
	DEFAULT_RECORD_SIZE,
	encodeSecret,
	generateSecret,
	layoutForPlainSize,
	sealMetadata,
	sha256,
	TAG_BYTES,
	toBase64Url,
	type RecordLayout
} from '../crypto';
import type { CryptoBackend } from './crypto-backend';
import { ProgressMeter, type ProgressListener } from './progress';
import { runPool, withRetry } from './retry';

export interface UploadRequest {
	files: File[];
	expiresIn: number;
	maxDownloads: number;
	note?: string;
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
	/** Parts in flight at once. */
	parallel?: number;
	signal?: AbortSignal;
	onProgress?: ProgressListener;
}

/** Parts in flight: two keeps both the encryptor and the network busy on a 2-core machine. */
export const DEFAULT_PARALLEL_PARTS = 3;

/** Whole records per part, as close to the server's preferred part size as its limits allow. */
export function partSizeFor(config: ServerConfig, layout: RecordLayout): number {
	const recordBytes = layout.recordSize + TAG_BYTES;
	const records = Math.max(1, Math.floor(config.partSize.preferred / recordBytes));
	const size = records * recordBytes;
	if (size < config.partSize.min && layout.cipherSize > size) {
		return Math.ceil(config.partSize.min / recordBytes) * recordBytes;
	}
	return size;
}

/**
 * Encrypts `files` as one share and uploads it in parts. Memory stays at a few parts whatever
 * the size: each part is read from the files, encrypted and sent on its own.
 */
export async function uploadShare(request: UploadRequest, deps: UploadDeps): Promise<UploadResult> {
	const { api, config, signal } = deps;
	const source = new Blob(request.files);
	const secret = generateSecret();
	const { headerBytes, keys } = await createShareKeys({ secret, recordSize: DEFAULT_RECORD_SIZE });
	const layout = layoutForPlainSize(source.size, DEFAULT_RECORD_SIZE);
	const metadata = buildMetadata(
		request.files.map((f) => ({ name: f.name, size: f.size, type: f.type })),
		{ note: request.note }
	);
	const sealed = await sealMetadata(keys.metadataKey, metadata);
	const ownerTokenBytes = globalThis.crypto.getRandomValues(new Uint8Array(32));
	const ownerToken = toBase64Url(ownerTokenBytes);
	const partSize = partSizeFor(config, layout);

	const created = await api.createShare(
		{
			size: layout.cipherSize,
			partSize,
			expiresIn: request.expiresIn,
			maxDownloads: request.maxDownloads,
			header: toBase64Url(headerBytes),
			metadata: toBase64Url(sealed),
			readTokenHash: toBase64Url(await sha256(keys.readToken)),
			ownerTokenHash: toBase64Url(await sha256(ownerTokenBytes))
		},
		{ signal }
	);

	try {
		await sendParts(
			{ id: created.id, ownerToken, key: keys.contentKey, source, layout, partSize, parts: range(created.parts) },
			deps
		);
		const done = await api.complete(created.id, ownerToken, { signal });
		return {
			id: created.id,
			secret: encodeSecret(secret),
			ownerToken,
			expiresAt: done.expiresAt,
			maxDownloads: done.maxDownloads,
			size: source.size
		};
	} catch (err) {
		// A cancelled upload leaves nothing behind on the server.
		if (signal?.aborted) await api.deleteShare(created.id, ownerToken).catch(() => {});
		throw err;
	}
}

export interface PartJob {
	id: string;
	ownerToken: string;
	key: CryptoKey;
	source: Blob;
	layout: RecordLayout;
	partSize: number;
	/** Part numbers still to send. */
	parts: number[];
}

/** Sends the given parts, in parallel, each retried on transient failures. */
export async function sendParts(job: PartJob, deps: UploadDeps): Promise<void> {
	const { layout, partSize } = job;
	const recordBytes = layout.recordSize + TAG_BYTES;
	const recordsPerPart = partSize / recordBytes;
	const meter = new ProgressMeter(layout.plainSize);
	const alreadySent = layout.plainSize - job.parts.reduce((sum, n) => sum + plainBytesOfPart(layout, recordsPerPart, n), 0);
	deps.onProgress?.(meter.add(alreadySent));

	await runPool(job.parts, deps.parallel ?? DEFAULT_PARALLEL_PARTS, async (n) => {
		const first = n * recordsPerPart;
		const count = Math.min(recordsPerPart, layout.records - first);
		await withRetry(async () => {
			const body = await deps.crypto.encryptPart(job.key, job.source, layout, first, count);
			await deps.api.putPart(job.id, n, body, job.ownerToken, { signal: deps.signal });
		}, deps.signal);
		deps.onProgress?.(meter.add(plainBytesOfPart(layout, recordsPerPart, n)));
	});
}

function plainBytesOfPart(layout: RecordLayout, recordsPerPart: number, n: number): number {
	const start = n * recordsPerPart * layout.recordSize;
	return Math.max(0, Math.min(layout.plainSize, start + recordsPerPart * layout.recordSize) - start);
}

function range(count: number): number[] {
	return Array.from({ length: count }, (_, i) => i);
}
