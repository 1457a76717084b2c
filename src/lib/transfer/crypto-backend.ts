import { ApiClient } from '../api/client';
import { encryptBlobRecords, TAG_BYTES, type RecordLayout } from '../crypto';
import { CipherReader, type RangeReader, type RangeRequest } from './cipher-reader';

/** One upload part: which records to encrypt and where to PUT them. */
export interface PartUpload {
	key: CryptoKey;
	source: Blob;
	layout: RecordLayout;
	first: number;
	count: number;
	origin: string;
	id: string;
	n: number;
	ownerToken: string;
}

/**
 * Where the record crypto runs. The browser uses a pool of Web Workers so that the page stays
 * responsive; Node (tests, CLI) runs it in-thread. Both give identical bytes.
 */
export interface CryptoBackend {
	/** Encrypts one part and uploads it; throws ApiError like ApiClient.putPart. */
	sendPart(part: PartUpload, signal?: AbortSignal): Promise<void>;
	/** Fetches and decrypts a record range; the reader yields plaintext. */
	openRange(request: RangeRequest): RangeReader;
	dispose(): void;
}

/** Ciphertext of records [first, first+count) of `source`, in one buffer. */
export async function encryptPart(
	key: CryptoKey,
	source: Blob,
	layout: RecordLayout,
	first: number,
	count: number
): Promise<Uint8Array<ArrayBuffer>> {
	const recordBytes = layout.recordSize + TAG_BYTES;
	const part = new Uint8Array(Math.min(layout.cipherSize, (first + count) * recordBytes) - first * recordBytes);
	let offset = 0;
	for await (const record of encryptBlobRecords(key, source, layout, first, count)) {
		part.set(record, offset);
		offset += record.byteLength;
	}
	return part;
}

/**
 * Encrypts and sends a part where it runs, so the ciphertext never crosses threads. The body is
 * a Blob (DevTools-driven browsers copy byte-array request bodies to the debugger, which crawls)
 * made where it is garbage: in a worker, whose many buffers keep its garbage collector busy, so
 * Chromium frees the Blob's bytes soon after the request, not at the page's next collection.
 */
export async function sendPartInline(part: PartUpload, signal?: AbortSignal): Promise<void> {
	const body = new Blob([await encryptPart(part.key, part.source, part.layout, part.first, part.count)]);
	await new ApiClient(part.origin).putPart(part.id, part.n, body, part.ownerToken, { signal });
}

export const inlineBackend: CryptoBackend = {
	sendPart: sendPartInline,
	openRange: (request) => new CipherReader(request),
	dispose() {}
};
