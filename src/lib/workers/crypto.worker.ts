/// <reference lib="webworker" />
// Record encryption and decryption, off the page's main thread.
import * as Comlink from 'comlink';
import { RecordDecryptor, type RecordLayout } from '../crypto';
import { sendPartInline, type PartUpload } from '../transfer/crypto-backend';
import { toWire, type WireError } from '../transfer/wire-errors';

const sessions = new Map<number, RecordDecryptor>();
const uploads = new Map<number, AbortController>();
let nextSession = 1;

/**
 * Hands the plaintext back as one transferred buffer: one message per batch instead of one per
 * 64 KiB record, which is what the page and the service worker would otherwise pay for.
 */
function transferOut(chunks: Uint8Array[]): Uint8Array[] {
	if (chunks.length === 0) return chunks;
	const joined = chunks.length === 1 ? chunks[0]! : concat(chunks);
	return Comlink.transfer([joined], [joined.buffer as ArrayBuffer]);
}

function concat(chunks: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.byteLength, 0));
	let offset = 0;
	for (const chunk of chunks) {
		out.set(chunk, offset);
		offset += chunk.byteLength;
	}
	return out;
}

function session(id: number): RecordDecryptor {
	const decryptor = sessions.get(id);
	if (!decryptor) throw new Error(`No decryption session ${id}.`);
	return decryptor;
}

const api = {
	/** Resolves to null on success, or to the error to throw on the page. */
	async sendPart(job: number, part: PartUpload): Promise<WireError | null> {
		const controller = new AbortController();
		uploads.set(job, controller);
		try {
			await sendPartInline(part, controller.signal);
			return null;
		} catch (err) {
			return toWire(err);
		} finally {
			uploads.delete(job);
		}
	},
	abortPart(job: number): void {
		uploads.get(job)?.abort();
	},
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
