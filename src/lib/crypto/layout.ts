/** Record arithmetic of FORMAT.md §4: plaintext size ⇄ ciphertext size, byte ranges. */
import { TAG_BYTES } from './constants';
import { CryptoError } from './errors';
import { isValidRecordSize } from './header';

export interface RecordLayout {
	/** Plaintext bytes per record (R). */
	recordSize: number;
	/** n: all files concatenated. */
	plainSize: number;
	/** C = n + 16·N. */
	cipherSize: number;
	/** N = max(1, ceil(n / R)): an empty share still has one (empty, authenticated) record. */
	records: number;
}

function checkRecordSize(recordSize: number): void {
	if (!isValidRecordSize(recordSize)) throw new CryptoError('BAD_SIZE', `record size ${recordSize}`);
}

export function layoutForPlainSize(plainSize: number, recordSize: number): RecordLayout {
	checkRecordSize(recordSize);
	if (!Number.isSafeInteger(plainSize) || plainSize < 0) {
		throw new CryptoError('BAD_SIZE', `plaintext size ${plainSize}`);
	}
	const records = Math.max(1, Math.ceil(plainSize / recordSize));
	const cipherSize = plainSize + TAG_BYTES * records;
	if (!Number.isSafeInteger(cipherSize)) throw new CryptoError('BAD_SIZE', `plaintext size ${plainSize}`);
	return { recordSize, plainSize, cipherSize, records };
}

/** BAD_SIZE unless some plaintext size encrypts to exactly `cipherSize` bytes. */
export function layoutForCipherSize(cipherSize: number, recordSize: number): RecordLayout {
	checkRecordSize(recordSize);
	if (!Number.isSafeInteger(cipherSize) || cipherSize < TAG_BYTES) {
		throw new CryptoError('BAD_SIZE', `ciphertext size ${cipherSize}`);
	}
	const full = recordSize + TAG_BYTES;
	const records = Math.ceil(cipherSize / full);
	const lastCipher = cipherSize - (records - 1) * full;
	// The last record holds 1..R plaintext bytes; only a single record may be empty.
	if (lastCipher <= TAG_BYTES && !(records === 1 && lastCipher === TAG_BYTES)) {
		throw new CryptoError('BAD_SIZE', `no plaintext encrypts to ${cipherSize} bytes with R = ${recordSize}`);
	}
	return { recordSize, plainSize: cipherSize - TAG_BYTES * records, cipherSize, records };
}

/** Plaintext bytes in record `index`. */
export function recordPlainSize(layout: RecordLayout, index: number): number {
	if (index < layout.records - 1) return layout.recordSize;
	return layout.plainSize - (layout.records - 1) * layout.recordSize;
}

/** Ciphertext bytes of record `index`. */
export function recordCipherSize(layout: RecordLayout, index: number): number {
	return recordPlainSize(layout, index) + TAG_BYTES;
}

/** Where record `index` starts in the ciphertext (index may be `records`, giving the end). */
export function recordCipherOffset(layout: RecordLayout, index: number): number {
	if (index >= layout.records) return layout.cipherSize;
	return index * (layout.recordSize + TAG_BYTES);
}

export interface CipherRange {
	firstRecord: number;
	/** Exclusive. */
	endRecord: number;
	cipherStart: number;
	/** Exclusive. */
	cipherEnd: number;
	/** Plaintext bytes to drop from the start of the first record's plaintext. */
	skip: number;
	/** Plaintext bytes wanted in total (end − start). */
	take: number;
}

/**
 * Ciphertext byte range (for an HTTP Range request) covering plaintext [start, end). An empty
 * range covers no records (firstRecord = endRecord, cipherStart = cipherEnd): a zero-byte file
 * needs no download, the authenticated metadata already vouches for its size.
 */
export function cipherRangeForPlain(layout: RecordLayout, start: number, end: number): CipherRange {
	if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end > layout.plainSize) {
		throw new RangeError(`plaintext range [${start}, ${end}) is outside 0..${layout.plainSize}`);
	}
	const R = layout.recordSize;
	if (start === end) {
		const at = Math.min(Math.floor(start / R), layout.records);
		const offset = recordCipherOffset(layout, at);
		return { firstRecord: at, endRecord: at, cipherStart: offset, cipherEnd: offset, skip: 0, take: 0 };
	}
	const firstRecord = Math.floor(start / R);
	const endRecord = Math.floor((end - 1) / R) + 1;
	return {
		firstRecord,
		endRecord,
		cipherStart: recordCipherOffset(layout, firstRecord),
		cipherEnd: recordCipherOffset(layout, endRecord),
		skip: start - firstRecord * R,
		take: end - start
	};
}
