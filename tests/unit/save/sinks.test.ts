import { describe, expect, it } from 'vitest';
import { fileHandleSink } from '../../../src/lib/save/sinks';

/**
 * A file handle whose writable is a real WritableStream with FileSystemWritableFileStream's own
 * `write`, which resolves once the chunk is written.
 */
function fakeHandle(writeChunk: (chunk: Uint8Array) => Promise<void>): FileSystemFileHandle {
	const writable = () => {
		const stream = new WritableStream<Uint8Array>({ write: writeChunk });
		const once = async (use: (w: WritableStreamDefaultWriter<Uint8Array>) => Promise<void>) => {
			const writer = stream.getWriter();
			try {
				await use(writer);
			} finally {
				writer.releaseLock();
			}
		};
		return Object.assign(stream, {
			write: (chunk: Uint8Array) => once((w) => w.write(chunk)),
			close: () => once((w) => w.close())
		});
	};
	return { createWritable: async () => writable() } as unknown as FileSystemFileHandle;
}

describe('fileHandleSink', () => {
	it('hands a chunk to the file and returns before the file has written it, keeping the order', async () => {
		const written: number[] = [];
		let release: () => void = () => {};
		const first = new Promise<void>((resolve) => (release = resolve));
		const sink = await fileHandleSink(
			fakeHandle(async (chunk) => {
				if (chunk[0] === 1) await first;
				written.push(chunk[0]!);
			})
		);
		await sink.write(new Uint8Array([1]));
		expect(written).toEqual([]); // the caller may decrypt the next chunk meanwhile
		const second = sink.write(new Uint8Array([2])); // waits: the stream holds one chunk
		release();
		await second;
		await sink.close();
		expect(written).toEqual([1, 2]);
	});

	it('fails the close when a write failed', async () => {
		const sink = await fileHandleSink(fakeHandle(async () => Promise.reject(new Error('disk full'))));
		await sink.write(new Uint8Array([1]));
		await expect(sink.close()).rejects.toThrow('disk full');
	});
});
