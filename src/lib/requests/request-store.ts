import { createStore, del, get, set, values, type UseStore } from 'idb-keyval';
import type { Bytes, RequestKeyPair } from '../crypto';

/**
 * A file request as its requester's browser keeps it ("Requests"): the link's secret, the owner
 * token and the private key. Like My uploads it stays in this browser only (IndexedDB); the key
 * leaves it only as a passphrase-protected file (key-file.ts).
 */
export interface StoredRequest {
	id: string;
	/** rs (base64url), the part of the link after "#". */
	secret: string;
	/** Authorises listing, closing and deleting; never shown. */
	ownerToken: string;
	title: string;
	message?: string;
	createdAt: number;
	/** R, raw (65 bytes). */
	publicKey: Bytes;
	/** The private key for deriving submission secrets: not extractable, so no script can read it out. */
	privateKey: CryptoKey;
	/** The same key, extractable, used only to write a key file. */
	exportKey: CryptoKey;
}

export interface RequestStore {
	save(request: StoredRequest): Promise<void>;
	get(id: string): Promise<StoredRequest | undefined>;
	/** Newest first. */
	list(): Promise<StoredRequest[]>;
	forget(id: string): Promise<void>;
}

const ECDH = { name: 'ECDH', namedCurve: 'P-256' } as const;

/**
 * What to keep of a request made here or imported: `keys.privateKey` must be extractable (as
 * generateRequestKeyPair and importRequestKey give it); a non-extractable copy does the work.
 */
export async function storedRequest(
	request: Omit<StoredRequest, 'publicKey' | 'privateKey' | 'exportKey'>,
	keys: RequestKeyPair
): Promise<StoredRequest> {
	const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
	try {
		const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, ECDH, false, ['deriveBits']);
		return { ...request, publicKey: keys.publicKey.slice(), privateKey, exportKey: keys.privateKey };
	} finally {
		pkcs8.fill(0);
	}
}

/** The key pair that opens the request's submissions (the non-extractable key). */
export const keysOf = (request: Pick<StoredRequest, 'privateKey' | 'publicKey'>): RequestKeyPair => ({
	privateKey: request.privateKey,
	publicKey: request.publicKey
});

const newestFirst = (list: StoredRequest[]) => list.sort((a, b) => b.createdAt - a.createdAt);

/** In memory: for tests, and where a browser refuses IndexedDB. */
export function memoryRequestStore(): RequestStore {
	const items = new Map<string, StoredRequest>();
	return {
		save: async (request) => void items.set(request.id, request),
		get: async (id) => items.get(id),
		list: async () => newestFirst([...items.values()]),
		forget: async (id) => void items.delete(id)
	};
}

let idbStore: UseStore | null = null;

/** In its own IndexedDB database; CryptoKeys are stored as they are (structured clone), not as bytes. */
export function indexedDbRequestStore(): RequestStore {
	idbStore ??= createStore('sealdrop-requests', 'requests');
	const store = idbStore;
	return {
		save: (request) => set(request.id, request, store),
		get: (id) => get(id, store),
		list: async () => newestFirst((await values(store)) as StoredRequest[]),
		forget: (id) => del(id, store)
	};
}
