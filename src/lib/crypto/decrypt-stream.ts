/** Decrypting a ciphertext byte stream (a whole share or a Range response) record by record. */
import type { Bytes } from './bytes';
import { CryptoError } from './errors';
import { recordCipherSize, type RecordLayout } from './layout';
import { openRecord } from './record';

/**
 * Feed it the ciphertext of records [firstRecord, endRecord) in chunks of any size; it returns
 * each record's plaintext once the record is complete and authenticated, never unauthenticated
 * bytes. Decryption of the records completed by one push runs concurrently.
 */
export class RecordDecryptor {
	readonly #key: CryptoKey;
	readonly #layout: RecordLayout;
	readonly #endRecord: number;
	/** Index of the record being assembled. */
	#next: number;
	/** Bytes of record #next received so far (null when none). */
	#partial: Bytes | null = null;
	#filled = 0;
	#failed = false;

	constructor(key: CryptoKey, layout: RecordLayout, firstRecord = 0, endRecord = layout.records) {
		if (
			!Number.isSafeInteger(firstRecord) ||
			!Number.isSafeInteger(endRecord) ||
			firstRecord < 0 ||
			firstRecord > endRecord ||
			endRecord > layout.records
		) {
			throw new RangeError(`records [${firstRecord}, ${endRecord}) outside 0..${layout.records}`);
		}
		this.#key = key;
		this.#layout = layout;
		this.#next = firstRecord;
		this.#endRecord = endRecord;
	}

	/** Plaintexts of the records this chunk completed, in order (often none, or several). */
	async push(chunk: Uint8Array): Promise<Uint8Array[]> {
		if (this.#failed) throw new Error('RecordDecryptor used after an error');
		const opened: Promise<Bytes>[] = [];
		let at = 0;
		let trailing = 0;
		try {
			while (at < chunk.length) {
				if (this.#next >= this.#endRecord) {
					trailing = chunk.length - at; // reported after the records before it, which may be bad too
					break;
				}
				const size = recordCipherSize(this.#layout, this.#next);
				let record: Uint8Array;
				if (this.#filled === 0 && chunk.length - at >= size) {
					record = chunk.subarray(at, at + size); // whole record in this chunk: no copy
					at += size;
				} else {
					this.#partial ??= new Uint8Array(size);
					const take = Math.min(size - this.#filled, chunk.length - at);
					this.#partial.set(chunk.subarray(at, at + take), this.#filled);
					this.#filled += take;
					at += take;
					if (this.#filled < size) break;
					record = this.#partial;
					this.#partial = null;
					this.#filled = 0;
				}
				const task = this.#open(this.#next++, record);
				task.catch(() => {}); // awaited in order below; an earlier failure must not leave this unhandled
				opened.push(task);
			}
			const plaintexts: Uint8Array[] = [];
			for (const task of opened) plaintexts.push(await task);
			if (trailing) throw new CryptoError('TRAILING_DATA', `${trailing} bytes after the last expected record`);
			return plaintexts;
		} catch (error) {
			this.#failed = true;
			throw error;
		}
	}

	/** Call at the end of the stream: TRUNCATED unless every expected record arrived. */
	async finish(): Promise<Uint8Array[]> {
		if (this.#failed) throw new Error('RecordDecryptor used after an error');
		if (this.#next < this.#endRecord) {
			this.#failed = true;
			const got = this.#filled ? `, ${this.#filled} bytes of record ${this.#next}` : '';
			throw new CryptoError('TRUNCATED', `stream ended before record ${this.#next} was complete${got}`);
		}
		return [];
	}

	/**
	 * A record that fails to open is TAMPERED, unless it opens with the other last-flag: then the
	 * stream is the wrong length for its claimed size, which is worth telling apart (FORMAT.md §4).
	 */
	async #open(index: number, record: Uint8Array): Promise<Bytes> {
		const last = index === this.#layout.records - 1;
		try {
			return await openRecord(this.#key, index, last, record);
		} catch (error) {
			if (!(error instanceof CryptoError) || error.code !== 'TAMPERED') throw error;
			try {
				await openRecord(this.#key, index, !last, record);
			} catch {
				throw error;
			}
			throw last
				? new CryptoError('TRUNCATED', `record ${index} should be the last one but is not`)
				: new CryptoError('TRAILING_DATA', `record ${index} is the real last record but more were expected`);
		}
	}
}

/** The same as a TransformStream: pipe a fetch body through it. */
export function decryptTransform(
	key: CryptoKey,
	layout: RecordLayout,
	firstRecord?: number,
	endRecord?: number
): TransformStream<Uint8Array, Uint8Array> {
	const decryptor = new RecordDecryptor(key, layout, firstRecord, endRecord);
	return new TransformStream<Uint8Array, Uint8Array>({
		async transform(chunk, controller) {
			for (const plaintext of await decryptor.push(chunk)) controller.enqueue(plaintext);
		},
		async flush(controller) {
			for (const plaintext of await decryptor.finish()) controller.enqueue(plaintext);
		}
	});
}
