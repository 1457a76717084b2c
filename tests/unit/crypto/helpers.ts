/** Shared by the crypto unit tests; runs in Node and in Chromium (no node: imports). */
import { expect } from 'vitest';
import {
	CryptoError,
	RecordDecryptor,
	createShareKeys,
	encryptBlobRecords,
	layoutForPlainSize,
	type CryptoErrorCode,
	type RecordLayout,
	type ShareKeys
} from '../../../src/lib/crypto';

export { bytesToHex, counterBytes, hexToBytes } from '../../vectors/vectors';

/** Asserts that `action` throws or rejects with a CryptoError of this code. */
export async function expectCryptoError(action: Promise<unknown> | (() => unknown), code: CryptoErrorCode): Promise<CryptoError> {
	let caught: unknown = undefined;
	try {
		await (typeof action === 'function' ? action() : action);
	} catch (error) {
		caught = error;
	}
	expect(caught, `expected CryptoError ${code}`).toBeInstanceOf(CryptoError);
	expect((caught as CryptoError).code).toBe(code);
	expect((caught as CryptoError).message.length).toBeGreaterThan(0);
	return caught as CryptoError;
}

export function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const part of parts) {
		out.set(part, at);
		at += part.length;
	}
	return out;
}

/** Deterministic PRNG (mulberry32), so a failing random case can be replayed. */
export function rng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export function fixedSecret(seed = 1): Uint8Array<ArrayBuffer> {
	return Uint8Array.from({ length: 32 }, (_, i) => (seed * 31 + i * 7) & 0xff);
}

export async function shareKeys(recordSize: number, seed = 1): Promise<ShareKeys> {
	return (await createShareKeys({ secret: fixedSecret(seed), recordSize })).keys;
}

export async function collect(records: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
	const out: Uint8Array[] = [];
	for await (const record of records) out.push(record);
	return out;
}

/** Encrypts `plaintext` whole; returns the records separately and joined. */
export async function encryptAll(
	key: CryptoKey,
	plaintext: Uint8Array<ArrayBuffer> | Blob,
	recordSize: number
): Promise<{ layout: RecordLayout; records: Uint8Array[]; ciphertext: Uint8Array<ArrayBuffer> }> {
	const blob = plaintext instanceof Blob ? plaintext : new Blob([plaintext]);
	const layout = layoutForPlainSize(blob.size, recordSize);
	const records = await collect(encryptBlobRecords(key, blob, layout, 0, layout.records));
	return { layout, records, ciphertext: concat(records) };
}

/** Feeds `ciphertext` to a RecordDecryptor in chunks of the given sizes (cycled), then finishes. */
export async function decryptChunks(
	key: CryptoKey,
	layout: RecordLayout,
	ciphertext: Uint8Array,
	chunkSizes: number[] = [ciphertext.length || 1],
	firstRecord?: number,
	endRecord?: number
): Promise<Uint8Array<ArrayBuffer>> {
	const decryptor = new RecordDecryptor(key, layout, firstRecord, endRecord);
	const out: Uint8Array[] = [];
	let at = 0;
	for (let i = 0; at < ciphertext.length; i++) {
		const size = chunkSizes[i % chunkSizes.length] as number;
		out.push(...(await decryptor.push(ciphertext.subarray(at, at + size))));
		at += size;
	}
	out.push(...(await decryptor.finish()));
	return concat(out);
}

/** Byte equality with a small failure message (toEqual on megabytes is slow and unreadable). */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
	expect(actual.length, 'length').toBe(expected.length);
	let firstDifference = -1;
	for (let i = 0; i < actual.length; i++) {
		if (actual[i] !== expected[i]) {
			firstDifference = i;
			break;
		}
	}
	expect(firstDifference, 'first differing byte').toBe(-1);
}
