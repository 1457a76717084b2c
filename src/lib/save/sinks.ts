import type { CryptoBackend, WorkerFile } from '../transfer/crypto-backend';
import { saveErrorOf, saving } from './save-errors';

/** Where decrypted bytes go. `close` only after every byte was verified; `abort` otherwise. */
export interface SaveSink {
	/** Takes the chunk: a sink may transfer its buffer elsewhere, so callers must not read it afterwards. */
	write(chunk: Uint8Array): Promise<void>;
	close(): Promise<void>;
	abort(reason?: unknown): Promise<void>;
	/**
	 * Left open after a stop, it can take the rest of the file later: nothing of it is anyone's
	 * file yet (held in memory, or in the browser's swap file until `close`). A sink without it is
	 * a download already running in the browser, which cannot be added to once cancelled.
	 */
	readonly resumable?: boolean;
	/**
	 * The sink's file, open for writing in a crypto worker: a download then has that worker write
	 * the plaintext it decrypts straight into it and calls `wrote` for those bytes, not `write`.
	 */
	readonly file?: WorkerFile;
	/** Hears the bytes a worker wrote into `file`, in order. */
	wrote?(bytes: number): void;
}

/**
 * Collects the file in memory and hands it to the browser's download manager at the end. Only
 * for files small enough to hold; the page prefers a streaming sink.
 */
export function memorySink(name: string, type: string): SaveSink {
	let parts: BlobPart[] = [];
	return {
		resumable: true,
		async write(chunk) {
			parts.push(chunk as Uint8Array<ArrayBuffer>);
		},
		async close() {
			const blob = new Blob(parts, { type: type || 'application/octet-stream' });
			parts = [];
			saveBlob(blob, name);
		},
		async abort() {
			parts = [];
		}
	};
}

export function saveBlob(blob: Blob, name: string): void {
	const url = URL.createObjectURL(blob);
	const a = document.createElement('a');
	a.href = url;
	a.download = name;
	a.rel = 'noopener';
	document.body.append(a);
	a.click();
	a.remove();
	// The download manager has taken its reference by the time this fires.
	setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Writes straight to a file the user picked (File System Access API). With crypto workers
 * (`backend.openFile`) the file is opened in one, which writes what it decrypts: the plaintext
 * never crosses to the page, and the browser's memory grows half as much on a large save, at the
 * same rate and CPU (tests/bench/findings.ts). Without (a backend decrypting in the page), the
 * page writes. Either way a write is handed to the stream and not awaited, so the next chunk is
 * decrypted meanwhile, with the stream's backpressure (`ready`) bounding what waits; a failed
 * write fails the next write or `close`, told as a SaveError (disk full, permission lost, file
 * moved or removed: save-errors.ts) where it is one.
 */
export async function fileHandleSink(handle: FileSystemFileHandle, backend?: CryptoBackend): Promise<SaveSink> {
	const file = await saving(async () => backend?.openFile?.(handle));
	if (file) {
		return {
			get resumable() {
				return !file.failed;
			},
			file: savingFile(file),
			write: (chunk) => saving(() => file.write(chunk)),
			close: () => saving(() => file.close()),
			abort: (reason) => file.abort(reason)
		};
	}
	const writer = (await saving(() => handle.createWritable())).getWriter();
	return {
		resumable: true,
		async write(chunk) {
			await saving(() => writer.ready);
			writer.write(chunk as Uint8Array<ArrayBuffer>).catch(() => {}); // seen by the next ready or close
		},
		// Chromium writes to a swap file and moves it into place only on close.
		close: () => saving(() => writer.close()),
		abort: (reason) => writer.abort(reason)
	};
}

/** `file` whose range reads, where the worker writes what it decrypts, tell a failed write as a SaveError. */
function savingFile(file: WorkerFile): WorkerFile {
	return {
		get failed() {
			return file.failed;
		},
		openRange(request, start, end) {
			const range = file.openRange(request, start, end);
			return {
				// Only the file's own failure: a failed fetch stays the network failure it is.
				read: () => range.read().catch((err: unknown) => Promise.reject(file.failed ? saveErrorOf(err) : err)),
				close: () => range.close()
			};
		},
		write: (chunk) => file.write(chunk),
		close: () => file.close(),
		abort: (reason) => file.abort(reason)
	};
}
