import { createStore, del, get, set, values, type UseStore } from 'idb-keyval';

/**
 * What an interrupted upload needs to carry on after the tab was closed: the share's secrets
 * (kept only in this browser, like the link itself) and the identity of the files, so that the
 * same files picked again regenerate identical ciphertext for the parts still missing.
 */
export interface PendingUpload {
	id: string;
	ownerToken: string;
	secret: string;
	header: string;
	partSize: number;
	parts: number;
	files: FileIdentity[];
	expiresIn: number;
	maxDownloads: number;
	startedAt: number;
	/** Argon2id output of the share's password (base64url), if it has one: needed to resume. */
	passwordKey?: string;
	/** Format v2 with a password: the key share W and its commitment (base64url), kept with passwordKey for the same reason. */
	keyShare?: string;
	keyCommitment?: string;
	/** Whether to add the share to "My uploads" once it completes. */
	remember?: boolean;
	/** Whether the share carries a note. */
	hasNote?: boolean;
	/** The note, which follows the files in the content; kept only until the upload completes. */
	note?: string;
	/** A submission to this file request (FORMAT.md §11.4): resumed like a share, never listed in "My uploads". */
	requestId?: string;
}

export interface FileIdentity {
	name: string;
	size: number;
	type: string;
	lastModified: number;
}

export interface PendingUploadStore {
	save(upload: PendingUpload): Promise<void>;
	remove(id: string): Promise<void>;
	list(): Promise<PendingUpload[]>;
	get(id: string): Promise<PendingUpload | undefined>;
}

export function identify(file: File): FileIdentity {
	return { name: file.name, size: file.size, type: file.type, lastModified: file.lastModified };
}

/** Picks `files` back into the order the upload used, by name; null if any is missing. */
export function matchFiles(expected: FileIdentity[], files: File[]): File[] | null {
	const ordered = expected.map((e) => files.find((f) => f.name === e.name && f.size === e.size && f.lastModified === e.lastModified));
	return ordered.every((f): f is File => f !== undefined) ? ordered : null;
}

let idbStore: UseStore | null = null;

/** The browser's store, in its own IndexedDB database. */
export function indexedDbPendingUploads(): PendingUploadStore {
	idbStore ??= createStore('sealdrop-pending-uploads', 'uploads');
	const store = idbStore;
	return {
		save: (upload) => set(upload.id, upload, store),
		remove: (id) => del(id, store),
		list: async () => ((await values(store)) as PendingUpload[]).sort((a, b) => b.startedAt - a.startedAt),
		get: (id) => get(id, store)
	};
}

/** For Node (tests, CLI): remembers nothing across processes. */
export function memoryPendingUploads(): PendingUploadStore {
	const map = new Map<string, PendingUpload>();
	return {
		save: async (upload) => void map.set(upload.id, structuredClone(upload)),
		remove: async (id) => void map.delete(id),
		list: async () => [...map.values()],
		get: async (id) => map.get(id)
	};
}
