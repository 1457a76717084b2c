import { saveNames, type FileEntry } from '../crypto';
import { fileHandleSink, memorySink, type SaveSink } from './sinks';
import { downloadWorker, serviceWorkerSink } from '../service-worker/sw-sink';
import { browserCryptoBackend } from '../backends/backend';
import { saving } from './save-errors';

/** Up to this size a file may be assembled in memory and handed over as a Blob. */
export const MEMORY_SAVE_LIMIT = 32 * 1024 * 1024;

/** Opens a sink for one file of the share; called once the bytes are about to flow. */
export type SinkFactory = (file: FileEntry) => Promise<SaveSink>;

interface FsaWindow {
	showSaveFilePicker?: (options: { suggestedName: string }) => Promise<FileSystemFileHandle>;
	showDirectoryPicker?: (options: { mode: 'readwrite' }) => Promise<FileSystemDirectoryHandle>;
}

/**
 * Asks where to save `files`, under their names made safe and unique (FORMAT.md §8). Must be
 * called straight from the click handler: the browser's save dialogs need the user's gesture.
 * Returns null if the user dismissed the dialog.
 */
export async function chooseSaveTarget(files: FileEntry[]): Promise<SinkFactory | null> {
	const fsa = window as unknown as FsaWindow;
	const names = saveNames(files.map((f) => f.name));
	const nameOf = (file: FileEntry) => names[files.indexOf(file)]!;
	try {
		if (files.length === 1 && fsa.showSaveFilePicker) {
			const handle = await fsa.showSaveFilePicker({ suggestedName: names[0]! });
			return () => fileHandleSink(handle, browserCryptoBackend());
		}
		if (files.length > 1 && fsa.showDirectoryPicker) {
			const dir = await fsa.showDirectoryPicker({ mode: 'readwrite' });
			// The folder may have been removed, or its permission taken back, since it was chosen.
			return async (file) => fileHandleSink(await saving(() => dir.getFileHandle(nameOf(file), { create: true })), browserCryptoBackend());
		}
	} catch (err) {
		if (err instanceof DOMException && err.name === 'AbortError') return null;
		throw err;
	}
	const worker = files.some((f) => f.size > MEMORY_SAVE_LIMIT) ? await downloadWorker() : null;
	if (!worker && files.some((f) => f.size > MEMORY_SAVE_LIMIT)) throw new SaveUnsupportedError();
	return async (file) =>
		worker && file.size > MEMORY_SAVE_LIMIT ? serviceWorkerSink(worker, nameOf(file), file.size) : memorySink(nameOf(file), file.type);
}

/** This browser offers neither a file picker nor a service worker, and the file is too big to hold. */
export class SaveUnsupportedError extends Error {
	readonly code = 'SAVE_UNSUPPORTED';
	constructor() {
		super('This browser cannot save a file this large. Open the link in a current Chrome, Edge, Firefox or Safari.');
	}
}
