/** AES-256-GCM through WebCrypto, with a failed tag check mapped to TAMPERED. */
import { asBytes, type Bytes } from './bytes';
import { TAG_BYTES } from './constants';
import { CryptoError } from './errors';

export async function gcmSeal(key: CryptoKey, iv: Bytes, plaintext: Uint8Array): Promise<Bytes> {
	return new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, asBytes(plaintext)));
}

/** `what` names the object in the error message ("record 7", "metadata"). */
export async function gcmOpen(key: CryptoKey, iv: Bytes, ciphertext: Uint8Array, what: string): Promise<Bytes> {
	if (ciphertext.length < TAG_BYTES) throw new CryptoError('TAMPERED', `${what} is shorter than its tag`);
	try {
		return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, asBytes(ciphertext)));
	} catch (error) {
		// WebCrypto reports a failed tag check as OperationError; anything else (wrong key type…) is a bug.
		if (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'OperationError') {
			throw new CryptoError('TAMPERED', `${what} failed authentication`);
		}
		throw error;
	}
}
