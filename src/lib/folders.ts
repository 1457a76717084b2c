/**
 * Folders the sender drops or picks: their files with paths relative to the selection
 * ("docs/sub/x.txt"), which become the metadata names (FORMAT.md §5).
 */

/** A folder with no file in it, or an entry the browser could not read; `path` names it ("" if unknown). */
export class FolderError extends Error {
	constructor(
		readonly code: 'FOLDER_EMPTY' | 'ENTRY_UNREADABLE',
		readonly path: string,
		cause?: unknown
	) {
		super(code === 'FOLDER_EMPTY' ? `The folder "${path}" has no files in it.` : `"${path}" could not be read.`, { cause });
	}
}

/** Paths of dropped files; picked ones carry theirs in webkitRelativePath. */
const droppedPaths = new WeakMap<File, string>();

/** Where `file` sits in what the sender added: its path inside a dropped or picked folder, else its name. */
export function pathOf(file: File): string {
	return droppedPaths.get(file) ?? (file.webkitRelativePath || file.name);
}

/** The parts of the browser's FileSystemEntry tree that are used here (tests pass a fake tree). */
export interface EntryLike {
	name: string;
	isFile: boolean;
	isDirectory: boolean;
}
interface FileEntryLike extends EntryLike {
	file(ok: (file: File) => void, fail?: (err: unknown) => void): void;
}
interface DirectoryEntryLike extends EntryLike {
	createReader(): { readEntries(ok: (entries: EntryLike[]) => void, fail?: (err: unknown) => void): void };
}

function fileOf(entry: FileEntryLike): Promise<File> {
	return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** Every entry of a folder: readEntries gives them in batches (Chromium: 100 at most) until an empty one. */
async function childrenOf(entry: DirectoryEntryLike): Promise<EntryLike[]> {
	const reader = entry.createReader();
	const all: EntryLike[] = [];
	for (;;) {
		const batch = await new Promise<EntryLike[]>((resolve, reject) => reader.readEntries(resolve, reject));
		if (batch.length === 0) return all;
		all.push(...batch);
	}
}

async function walk(entry: EntryLike, path: string, out: File[]): Promise<void> {
	try {
		if (entry.isDirectory) {
			for (const child of await childrenOf(entry as DirectoryEntryLike)) await walk(child, `${path}/${child.name}`, out);
		} else if (entry.isFile) {
			const file = await fileOf(entry as FileEntryLike);
			droppedPaths.set(file, path);
			out.push(file);
		} else {
			throw new Error('neither a file nor a folder');
		}
	} catch (err) {
		throw err instanceof FolderError ? err : new FolderError('ENTRY_UNREADABLE', path, err);
	}
}

/**
 * The files of dropped entries, each with its path; a folder is walked, never read as a file.
 * Throws FolderError for a dropped folder with no file in it (empty subfolders are left out)
 * or for an entry that cannot be read: then nothing is added.
 */
export async function filesOfEntries(entries: EntryLike[]): Promise<File[]> {
	const files: File[] = [];
	for (const entry of entries) {
		const before = files.length;
		await walk(entry, entry.name, files);
		if (entry.isDirectory && files.length === before) throw new FolderError('FOLDER_EMPTY', entry.name);
	}
	return files;
}

interface EntryItem {
	kind: string;
	webkitGetAsEntry?: () => EntryLike | null;
}

/**
 * What a drop holds. Its entries must be taken during the drop event (the DataTransfer is
 * emptied after it), so call this synchronously from the handler and await the result later.
 */
export function filesOfDrop(data: DataTransfer): Promise<File[]> {
	const items = Array.from(data.items ?? []) as EntryItem[];
	const entries = items.filter((item) => item.kind === 'file').map((item) => item.webkitGetAsEntry?.() ?? null);
	// Without entries (an old browser), the plain file list; a folder in it fails checkReadable.
	if (entries.length === 0 || entries.some((entry) => entry === null)) return Promise.resolve(Array.from(data.files));
	return filesOfEntries(entries as EntryLike[]);
}

/** Files read at a time by checkReadable. */
const CHECKS_AT_ONCE = 8;

/**
 * Reads a byte of each file, so that one the browser cannot read (a folder passed as a file, a
 * file deleted or locked since it was chosen) is refused now, before any share exists for it.
 */
export async function checkReadable(files: File[]): Promise<void> {
	for (let i = 0; i < files.length; i += CHECKS_AT_ONCE) {
		await Promise.all(
			files.slice(i, i + CHECKS_AT_ONCE).map(async (file) => {
				try {
					await file.slice(0, 1).arrayBuffer();
				} catch (err) {
					throw new FolderError('ENTRY_UNREADABLE', pathOf(file), err);
				}
			})
		);
	}
}
