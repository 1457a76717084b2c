import { ApiClient, ApiError } from '../api/client';
import { concatBytes, RecordDecryptor, TAG_BYTES, type RecordLayout } from '../crypto';

/** Which records of which share to fetch and decrypt. */
export interface RangeRequest {
	origin: string;
	id: string;
	ticket: string;
	key: CryptoKey;
	layout: RecordLayout;
	firstRecord: number;
	endRecord: number;
	/** Direct transfers: read from the bucket with a presigned URL (POST /shares/:id/blob-url). */
	direct?: boolean;
}

/** Plaintext of a record range, pulled chunk by chunk (whole records, in order). */
export interface RangeReader {
	/** The next plaintext, or null at the end; throws the failure that stopped the range. */
	read(): Promise<Uint8Array | null>;
	close(): void;
}

/** Network chunks are gathered to this size before decryption: fewer, larger crypto batches. */
const BATCH_BYTES = 1 << 20;
/** Plaintext decrypted ahead of the reader; bounds memory whatever the share's size. */
const AHEAD_BYTES = 8 << 20;

export interface CipherReaderOptions {
	/** Bytes being decrypted or waiting for the reader before the body is read further (default AHEAD_BYTES). */
	aheadBytes?: number;
}
/** The most one read() returns: big enough to cost few hand-offs, small enough for the sinks' buffers. */
const READ_BYTES = 1 << 20;
/** A body silent this long has its partial batch decrypted, rather than held until the next bytes. */
const STALL_FLUSH_MS = 50;

/**
 * Fetches a ciphertext range and decrypts it as it arrives: reading from the network, decrypting
 * and handing plaintext to the reader all overlap, with at most AHEAD_BYTES waiting. Runs in a
 * worker in the browser, so the page only receives finished plaintext.
 */
export class CipherReader implements RangeReader {
	private readonly queue: Uint8Array[] = [];
	/** Bytes queued or being decrypted. */
	private pending = 0;
	private finished = false;
	private failure: unknown = null;
	private wakeReader: (() => void) | null = null;
	private wakePump: (() => void) | null = null;
	private readonly controller = new AbortController();
	private readonly aheadBytes: number;

	constructor(
		private readonly request: RangeRequest,
		options: CipherReaderOptions = {}
	) {
		this.aheadBytes = options.aheadBytes ?? AHEAD_BYTES;
		void this.pump().catch((err: unknown) => {
			this.failure = this.controller.signal.aborted ? new ApiError('ABORTED', 'Cancelled.') : err;
			this.wake();
		});
	}

	async read(): Promise<Uint8Array | null> {
		while (this.queue.length === 0 && !this.finished && !this.failure) {
			await new Promise<void>((resolve) => (this.wakeReader = resolve));
		}
		if (this.queue.length > 0) {
			let count = 1;
			let size = this.queue[0]!.byteLength;
			while (count < this.queue.length && size + this.queue[count]!.byteLength <= READ_BYTES) size += this.queue[count++]!.byteLength;
			const taken = this.queue.splice(0, count);
			const chunk = count === 1 ? taken[0]! : concatBytes(...taken);
			this.pending -= chunk.byteLength;
			this.wakePump?.();
			return chunk;
		}
		if (this.failure) throw this.failure;
		return null;
	}

	close(): void {
		this.controller.abort();
		this.wake();
	}

	private wake() {
		this.wakeReader?.();
		this.wakePump?.();
	}

	private async pump(): Promise<void> {
		const { origin, id, ticket, key, layout, firstRecord, endRecord } = this.request;
		const recordBytes = layout.recordSize + TAG_BYTES;
		const start = firstRecord * recordBytes;
		const end = Math.min(endRecord * recordBytes, layout.cipherSize);
		const decryptor = new RecordDecryptor(key, layout, firstRecord, endRecord);
		const api = new ApiClient(origin);
		const opts = { signal: this.controller.signal };
		const res = this.request.direct ? await api.blobDirect(id, ticket, start, end, opts) : await api.blob(id, ticket, start, end, opts);
		if (!res.body) throw new ApiError('BAD_RESPONSE', 'The server sent no data.');
		const reader = res.body.getReader();
		// Decryptions start at once and run concurrently; their results are queued in order.
		let ordered: Promise<void> = Promise.resolve();
		let batch: Uint8Array[] = [];
		let batched = 0;
		const decrypt = (data: Uint8Array) => {
			this.pending += data.byteLength;
			const opened = decryptor.push(data);
			opened.catch(() => {}); // surfaced through `ordered`
			ordered = ordered.then(async () => this.enqueue(await opened, data.byteLength));
		};
		const flush = () => {
			if (batched === 0) return;
			decrypt(concatBytes(...batch));
			batch = [];
			batched = 0;
		};
		try {
			for (;;) {
				while (this.pending >= this.aheadBytes && !this.controller.signal.aborted) {
					await new Promise<void>((resolve) => (this.wakePump = resolve));
				}
				let next: ReadableStreamReadResult<Uint8Array>;
				// A body that pauses (a share still uploading: the server waits for the next part)
				// must not keep the records already received from the reader: decrypt the batch then.
				const stalled = batched > 0 ? setTimeout(flush, STALL_FLUSH_MS) : undefined;
				try {
					next = await reader.read();
				} catch {
					throw this.controller.signal.aborted
						? new ApiError('ABORTED', 'Cancelled.')
						: new ApiError('NETWORK', 'The connection broke during the download.');
				} finally {
					clearTimeout(stalled);
				}
				if (next.done) break;
				batch.push(next.value);
				batched += next.value.byteLength;
				if (batched >= BATCH_BYTES) {
					decrypt(concatBytes(...batch));
					batch = [];
					batched = 0;
				}
			}
			if (batched > 0) decrypt(concatBytes(...batch));
			await ordered;
			this.enqueue(await decryptor.finish(), 0);
			this.finished = true;
			this.wake();
		} finally {
			await ordered.catch(() => {});
			reader.releaseLock();
		}
	}

	/** Queues plaintext; `cipherBytes` of ciphertext stop counting as pending. */
	private enqueue(plaintexts: Uint8Array[], cipherBytes: number) {
		this.pending -= cipherBytes;
		for (const p of plaintexts) {
			this.queue.push(p);
			this.pending += p.byteLength;
		}
		this.wakeReader?.();
	}
}
