import { describe, expect, it } from 'vitest';
import { fileHandleSink } from '../../../src/lib/save/sinks';
import { ApiError } from '../../../src/lib/api/client';
import type { CryptoBackend, WorkerFile } from '../../../src/lib/transfer/crypto-backend';

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

describe('a file written by a crypto worker, failing', () => {
	/** A SIMULATED worker file (the real one, in Chromium, is in tests/unit/browser/worker-file.test.ts) whose range read fails with `err`. */
	function failingWorker(err: unknown, fileFailed: boolean): CryptoBackend {
		let failed = false;
		const file: WorkerFile = {
			get failed() {
				return failed;
			},
			openRange: () => ({
				read: async () => {
					failed = fileFailed;
					throw err;
				},
				close: () => {}
			}),
			write: async () => {},
			close: async () => {},
			abort: async () => {}
		};
		return {
			sendPart: async () => {},
			openRange: () => ({ read: async () => null, close: () => {} }),
			openFile: async () => file,
			dispose: () => {}
		};
	}
	const handle = {} as FileSystemFileHandle;
	const request = {} as Parameters<WorkerFile['openRange']>[0];

	it('tells the file’s own write failure (a full disk in the worker) as DISK_FULL', async () => {
		const sink = await fileHandleSink(handle, failingWorker(new DOMException('Full.', 'QuotaExceededError'), true));
		await expect(sink.file!.openRange(request, 0, 1).read()).rejects.toMatchObject({ code: 'DISK_FULL' });
		expect(sink.resumable).toBe(false); // that file's swap file is gone: Continue saves it again
	});

	it('leaves a failure that is not the file’s (the range’s fetch) as it is', async () => {
		const network = new ApiError('NETWORK', 'Offline.');
		const sink = await fileHandleSink(handle, failingWorker(network, false));
		await expect(sink.file!.openRange(request, 0, 1).read()).rejects.toBe(network);
	});
});
