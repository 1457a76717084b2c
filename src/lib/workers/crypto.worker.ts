/// <reference lib="webworker" />
// Record encryption and decryption, off the page's main thread.
import * as Comlink from 'comlink';
import { RecordDecryptor, type RecordLayout } from '../crypto';
import { encryptPartInline } from '../transfer/crypto-backend';

const sessions = new Map<number, RecordDecryptor>();
let nextSession = 1;

/** Hands buffers back without copying them. */
function transferOut(chunks: Uint8Array[]): Uint8Array[] {
	const buffers = new Set(chunks.map((c) => c.buffer as ArrayBuffer));
	return Comlink.transfer(chunks, [...buffers]);
}

function session(id: number): RecordDecryptor {
	const decryptor = sessions.get(id);
	if (!decryptor) throw new Error(`No decryption session ${id}.`);
	return decryptor;
}

const api = {
	encryptPart: encryptPartInline,
	open(key: CryptoKey, layout: RecordLayout, firstRecord: number, endRecord: number): number {
		const id = nextSession++;
		sessions.set(id, new RecordDecryptor(key, layout, firstRecord, endRecord));
		return id;
	},
	async push(id: number, chunk: Uint8Array): Promise<Uint8Array[]> {
		return transferOut(await session(id).push(chunk));
	},
	async finish(id: number): Promise<Uint8Array[]> {
		try {
			return transferOut(await session(id).finish());
		} finally {
			sessions.delete(id);
		}
	},
	close(id: number): void {
		sessions.delete(id);
	}
};

export type CryptoWorkerApi = typeof api;

Comlink.expose(api);
