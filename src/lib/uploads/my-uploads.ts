import { createStore, del, get, set, values, type UseStore } from 'idb-keyval';
import { shareLink } from '../link';
import { formatNumber } from '../format';
import { m } from '../paraglide/messages.js';

/**
 * A finished upload as its sender's browser remembers it ("My uploads"). It holds the link's key
 * and the owner token, so it stays in this browser only (IndexedDB), like the link itself. A
 * password is never stored: for a share with one, the link alone opens nothing.
 */
export interface RememberedUpload {
	id: string;
	/** The link secret (base64url), the part after "#". */
	secret: string;
	/** Authorises delete and changes (PATCH); never shown. */
	ownerToken: string;
	files: { name: string; size: number }[];
	/** Plaintext bytes. */
	size: number;
	hasNote: boolean;
	hasPassword: boolean;
	/** As the server last said (ms since the epoch). */
	expiresAt: number;
	maxDownloads: number;
	createdAt: number;
}

export interface MyUploadsStore {
	save(upload: RememberedUpload): Promise<void>;
	get(id: string): Promise<RememberedUpload | undefined>;
	/** Newest first. */
	list(): Promise<RememberedUpload[]>;
	forget(id: string): Promise<void>;
}

/** The share link of a remembered upload, on this origin. */
export function linkOf(upload: Pick<RememberedUpload, 'id' | 'secret'>, origin = globalThis.location?.origin ?? ''): string {
	return shareLink(origin, upload.id, upload.secret);
}

/** A short description: the first names and how many more. */
export function titleOf(upload: Pick<RememberedUpload, 'files' | 'hasNote'>): string {
	if (upload.files.length === 0) return upload.hasNote ? m.title_message() : m.title_empty();
	const first = upload.files[0]!.name;
	return upload.files.length === 1
		? first
		: m.title_more({ first, count: upload.files.length - 1, more: formatNumber(upload.files.length - 1) });
}

let idbStore: UseStore | null = null;

/** In its own IndexedDB database, apart from the interrupted uploads. */
export function indexedDbMyUploads(): MyUploadsStore {
	idbStore ??= createStore('sealdrop-my-uploads', 'uploads');
	const store = idbStore;
	return {
		save: (upload) => set(upload.id, upload, store),
		get: (id) => get(id, store),
		list: async () => ((await values(store)) as RememberedUpload[]).sort((a, b) => b.createdAt - a.createdAt),
		forget: (id) => del(id, store)
	};
}
