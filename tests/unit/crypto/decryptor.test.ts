import { describe, expect, it } from 'vitest';
import { DEFAULT_RECORD_SIZE, decryptTransform, RecordDecryptor, type CryptoError } from '../../../src/lib/crypto';
import { concat, counterBytes, decryptChunks, encryptAll, expectCryptoError, expectSameBytes, rng, shareKeys } from './helpers';

describe.each([1024, DEFAULT_RECORD_SIZE])('RecordDecryptor chunking, R = %i', (R) => {
	const S = R + 16;
	const size = 5 * R + 77;

	const cases: [string, number[]][] = [
		['17 bytes', [17]],
		['S − 1', [S - 1]],
		['S', [S]],
		['S + 1', [S + 1]],
		['65551', [65551]],
		['mixed', [1, 17, 65551, 3, S, 2 * S + 5]],
		['all at once', [10 * S]]
	];
	// 1-byte pushes of the whole stream only at the small record size (330 000 pushes is just slow).
	if (R === 1024) cases.unshift(['1 byte', [1]]);

	it.each(cases)('chunks of %s give identical output', async (_, chunkSizes) => {
		const { contentKey } = await shareKeys(R);
		const plaintext = counterBytes(size);
		const { layout, ciphertext } = await encryptAll(contentKey, plaintext, R);
		expectSameBytes(await decryptChunks(contentKey, layout, ciphertext, chunkSizes), plaintext);
	});

	it('random chunk sizes (seeded) give identical output', async () => {
		const { contentKey } = await shareKeys(R);
		const plaintext = counterBytes(size);
		const { layout, ciphertext } = await encryptAll(contentKey, plaintext, R);
		for (const seed of [1, 2, 3]) {
			const random = rng(seed);
			const sizes = Array.from({ length: 64 }, () => 1 + Math.floor(random() * 2.5 * S));
			expectSameBytes(await decryptChunks(contentKey, layout, ciphertext, sizes), plaintext);
		}
	});
});

describe('RecordDecryptor output', () => {
	it('returns a record only once it is complete and authenticated, whole records each', async () => {
		const R = 1024;
		const { contentKey } = await shareKeys(R);
		const plaintext = counterBytes(2 * R + 10);
		const { layout, ciphertext } = await encryptAll(contentKey, plaintext, R);
		const decryptor = new RecordDecryptor(contentKey, layout);
		expect(await decryptor.push(ciphertext.subarray(0, R + 15))).toEqual([]);
		const first = await decryptor.push(ciphertext.subarray(R + 15, R + 16));
		expect(first.map((p) => p.length)).toEqual([R]);
		const rest = await decryptor.push(ciphertext.subarray(R + 16));
		expect(rest.map((p) => p.length)).toEqual([R, 10]);
		expect(await decryptor.finish()).toEqual([]);
		expectSameBytes(concat([...first, ...rest]), plaintext);
	});

	it('does not depend on the caller keeping its chunk buffers', async () => {
		const R = 1024;
		const { contentKey } = await shareKeys(R);
		const plaintext = counterBytes(3 * R);
		const { layout, ciphertext } = await encryptAll(contentKey, plaintext, R);
		const decryptor = new RecordDecryptor(contentKey, layout);
		const out: Uint8Array[] = [];
		const buffer = new Uint8Array(700); // reused for every chunk, as a stream reader might
		for (let at = 0; at < ciphertext.length; at += 700) {
			const chunk = ciphertext.subarray(at, at + 700);
			buffer.set(chunk);
			out.push(...(await decryptor.push(buffer.subarray(0, chunk.length))));
		}
		out.push(...(await decryptor.finish()));
		expectSameBytes(concat(out), plaintext);
	});
});

describe('decryptTransform', () => {
	async function pipe(stream: ReadableStream<Uint8Array>, transform: TransformStream<Uint8Array, Uint8Array>): Promise<Uint8Array> {
		const parts: Uint8Array[] = [];
		const reader = stream.pipeThrough(transform).getReader();
		for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
		return concat(parts);
	}

	function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
		let at = 0;
		return new ReadableStream<Uint8Array>({
			pull(controller) {
				if (at >= bytes.length) return controller.close();
				controller.enqueue(bytes.slice(at, at + size));
				at += size;
			}
		});
	}

	it('decrypts a stream piped through it', async () => {
		const R = 1024;
		const { contentKey } = await shareKeys(R);
		const plaintext = counterBytes(7 * R + 3);
		const { layout, ciphertext } = await encryptAll(contentKey, plaintext, R);
		expectSameBytes(await pipe(chunked(ciphertext, 999), decryptTransform(contentKey, layout)), plaintext);
	});

	it('decrypts a partial range', async () => {
		const R = 1024;
		const { contentKey } = await shareKeys(R);
		const plaintext = counterBytes(7 * R + 3);
		const { layout, ciphertext } = await encryptAll(contentKey, plaintext, R);
		const part = ciphertext.subarray(2 * (R + 16), 5 * (R + 16));
		const plain = await pipe(chunked(part, 4000), decryptTransform(contentKey, layout, 2, 5));
		expectSameBytes(plain, plaintext.subarray(2 * R, 5 * R));
	});

	it('errors the stream with the CryptoError', async () => {
		const R = 1024;
		const { contentKey } = await shareKeys(R);
		const { layout, ciphertext } = await encryptAll(contentKey, counterBytes(3 * R), R);
		const cut = chunked(ciphertext.subarray(0, 2 * (R + 16)), 500);
		const error = await expectCryptoError(pipe(cut, decryptTransform(contentKey, layout)), 'TRUNCATED');
		expect((error as CryptoError).name).toBe('CryptoError');
	});
});
