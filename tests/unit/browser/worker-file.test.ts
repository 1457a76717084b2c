/**
 * Files written by a crypto worker (the File System Access save), in real Chromium with real
 * workers and real FileSystemFileHandles from the origin-private file system.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/lib/api/client';
import { createWorkerBackend, SaveInterruptedError } from '../../../src/lib/backends/worker-backend';
import type { CryptoBackend, WorkerFile } from '../../../src/lib/transfer/crypto-backend';
import { fileHandleSink } from '../../../src/lib/save/sinks';
import { describeError } from '../../../src/lib/messages';
import { m } from '../../../src/lib/paraglide/messages.js';
import { SaveError } from '../../../src/lib/save/save-errors';

let backend: CryptoBackend | null = null;
afterEach(() => backend?.dispose());

async function opfsFile(name: string): Promise<{ dir: FileSystemDirectoryHandle; handle: FileSystemFileHandle }> {
	const dir = await navigator.storage.getDirectory();
	await dir.removeEntry(name).catch(() => {});
	return { dir, handle: await dir.getFileHandle(name, { create: true }) };
}

async function contents(handle: FileSystemFileHandle): Promise<number[]> {
	return [...new Uint8Array(await (await handle.getFile()).arrayBuffer())];
}

async function failureOf(work: Promise<unknown>): Promise<unknown> {
	try {
		await work;
	} catch (err) {
		return err;
	}
	throw new Error('It did not fail.');
}

describe('a file written by a crypto worker', () => {
	it('takes chunks from the page in order, a part of a larger buffer included, and appears on close', async () => {
		const { handle } = await opfsFile('worker-writes.bin');
		backend = createWorkerBackend(1);
		const file = await backend.openFile!(handle);
		await file.write(new Uint8Array([1, 2]));
		await file.write(new Uint8Array([9, 3, 4, 9]).subarray(1, 3));
		expect(await contents(handle)).toEqual([]); // written to the browser's swap file until the close
		await file.close();
		expect(await contents(handle)).toEqual([1, 2, 3, 4]);
	});

	it('leaves nothing of an aborted save in the file', async () => {
		const { handle } = await opfsFile('worker-aborts.bin');
		backend = createWorkerBackend(1);
		const sink = await fileHandleSink(handle, backend);
		expect(sink.file).toBeDefined(); // the worker writes, not the page
		await sink.write(new Uint8Array([1, 2, 3]));
		await sink.abort(new Error('stopped'));
		expect(await contents(handle)).toEqual([]);
	});

	it('fails with the browser’s own DOMException, told as SAVE_FAILED by the save, as when the page wrote the file', async () => {
		const dir = await navigator.storage.getDirectory();
		const folder = await dir.getDirectoryHandle('worker-removed', { create: true });
		const handle = await folder.getFileHandle('file.bin', { create: true });
		await dir.removeEntry('worker-removed', { recursive: true }); // the folder removed after the file was picked
		const onPage = await failureOf(handle.createWritable());
		expect(onPage).toBeInstanceOf(DOMException);
		expect((onPage as DOMException).name).toBe('NotFoundError');
		const pageSave = await failureOf(fileHandleSink(handle));
		backend = createWorkerBackend(1);
		const workerSave = await failureOf(fileHandleSink(handle, backend));
		for (const save of [pageSave, workerSave]) {
			expect(save).toBeInstanceOf(SaveError);
			expect((save as SaveError).cause.name).toBe('NotFoundError');
			expect(describeError(save)).toEqual({ code: 'SAVE_FAILED', message: m.error_SAVE_FAILED() });
		}
	});

	it('fails the save, and does not wait for the network, when its worker fails mid-save', async () => {
		const { handle } = await opfsFile('worker-crashes.bin');
		const workers: Worker[] = [];
		backend = createWorkerBackend(1, () => {
			const worker = new Worker(new URL('../../../src/lib/workers/crypto.worker.ts', import.meta.url), { type: 'module' });
			workers.push(worker);
			return worker;
		});
		const file: WorkerFile = await backend.openFile!(handle);
		await file.write(new Uint8Array([1]));
		expect(file.failed).toBe(false);
		workers[0]!.dispatchEvent(new Event('error')); // as an uncaught error in the worker does

		const write = await failureOf(file.write(new Uint8Array([2])));
		// A network failure would be retried, then waited out for ever: the file's bytes are gone with the worker.
		expect(write instanceof ApiError && write.transient).toBe(false);
		expect(write).toBeInstanceOf(SaveInterruptedError);
		expect(describeError(write).code).toBe('SAVE_INTERRUPTED');
		expect(file.failed).toBe(true);
		const range = file.openRange(
			{} as Parameters<WorkerFile['openRange']>[0], // never reaches the dead worker's reader
			0,
			1
		);
		const read = await failureOf(range.read());
		expect(read instanceof ApiError && read.transient).toBe(false);
		range.close();
		await expect(file.abort(new Error('stopped'))).rejects.toThrow(); // settles: nothing waits for the dead worker
	});
});
