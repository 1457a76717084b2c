import { ApiClient } from '../api/client';
import { encryptBlobRecords, type ByteSource, type RecordLayout } from '../crypto';
import { CipherReader, type RangeReader, type RangeRequest } from './cipher-reader';

/** One upload part: which records to encrypt and where to PUT them. */
export interface PartUpload {
	key: CryptoKey;
	/** A Blob in the browser; the CLI's reads files from disk. */
	source: Blob | ByteSource;
	layout: RecordLayout;
	first: number;
	count: number;
	origin: string;
	id: string;
	n: number;
	ownerToken: string;
	/** Direct transfers (ServerConfig.directTransfers): PUT to the bucket with a presigned URL. */
	direct?: boolean;
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
	/**
	 * Opens a file (File System Access) for writing where ranges are decrypted, so that their
	 * plaintext is written there without crossing to the page. Absent where that is the page itself.
	 */
	openFile?(handle: FileSystemFileHandle): Promise<WorkerFile>;
	dispose(): void;
}

/** A file open for writing in a crypto worker; a failed write fails the next call. */
export interface WorkerFile {
	/**
	 * Fetches and decrypts a record range and writes its plaintext bytes [start, end) (offsets in
	 * the share) into the file; `read` gives each chunk's plaintext length, wanted or not, once
	 * the wanted bytes are handed to the file, and null at the end.
	 */
	openRange(request: RangeRequest, start: number, end: number): { read(): Promise<number | null>; close(): void };
	/** Takes the chunk (its buffer may move to the worker). */
	write(chunk: Uint8Array): Promise<void>;
	close(): Promise<void>;
	abort(reason?: unknown): Promise<void>;
	/** A write failed (or the worker ended): the file cannot take the rest. */
	readonly failed: boolean;
}

/**
 * Encrypts and sends a part where it runs, so the ciphertext never crosses threads. The body is
 * a Blob (DevTools-driven browsers copy byte-array request bodies to the debugger, which crawls)
 * made straight from the sealed records, with no part-sized buffer in between, and made where it
 * is garbage: in a worker, whose many buffers keep its garbage collector busy, so Chromium frees
 * the Blob's bytes soon after the request, not at the page's next collection.
 */
export async function sendPartInline(part: PartUpload, signal?: AbortSignal): Promise<void> {
	const records: BlobPart[] = [];
	for await (const record of encryptBlobRecords(part.key, part.source, part.layout, part.first, part.count)) {
		records.push(record as Uint8Array<ArrayBuffer>);
	}
	const api = new ApiClient(part.origin);
	const body = new Blob(records);
	if (part.direct) await api.putPartDirect(part.id, part.n, body, part.ownerToken, { signal });
	else await api.putPart(part.id, part.n, body, part.ownerToken, { signal });
}

export const inlineBackend: CryptoBackend = {
	sendPart: sendPartInline,
	openRange: (request) => new CipherReader(request),
	dispose() {}
};
