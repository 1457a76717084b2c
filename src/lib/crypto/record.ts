/** One record of the STREAM construction (FORMAT.md §4): AES-256-GCM with a counter ‖ last-flag nonce. */
import { gcmOpen, gcmSeal } from './aead';
import type { Bytes } from './bytes';
import { NONCE_BYTES } from './constants';

/**
 * nonce = uint88(index) big-endian ‖ last (01 or 00). Written by repeated division rather than
 * bit operations, which would wrap at 2^32 records.
 */
export function recordNonce(index: number, last: boolean): Bytes {
	if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`record index ${index}`);
	const nonce = new Uint8Array(NONCE_BYTES);
	let rest = index;
	for (let at = NONCE_BYTES - 2; rest > 0; at--) {
		nonce[at] = rest % 256;
		rest = Math.floor(rest / 256);
	}
	nonce[NONCE_BYTES - 1] = last ? 1 : 0;
	return nonce;
}

export function sealRecord(key: CryptoKey, index: number, last: boolean, plaintext: Uint8Array): Promise<Bytes> {
	return gcmSeal(key, recordNonce(index, last), plaintext);
}

/** TAMPERED when the record fails authentication under this index and last-flag. */
export function openRecord(key: CryptoKey, index: number, last: boolean, ciphertext: Uint8Array): Promise<Bytes> {
	return gcmOpen(key, recordNonce(index, last), ciphertext, `record ${index}`);
}
