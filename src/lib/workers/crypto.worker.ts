/// <reference lib="webworker" />
// Encrypting and sending upload parts, fetching and decrypting downloads: off the page's thread.
import * as Comlink from 'comlink';
import { CipherReader, type RangeRequest } from '../transfer/cipher-reader';
import { sendPartInline, type PartUpload } from '../transfer/crypto-backend';
import { toWire, type WireError } from '../transfer/wire-errors';

const uploads = new Map<number, AbortController>();
const ranges = new Map<number, CipherReader>();

/** What a range read hands the page: plaintext (transferred, not copied), the end, or a failure. */
export type RangeChunk = { chunk: Uint8Array | null } | { error: WireError };

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
	openRange(job: number, request: RangeRequest): void {
		ranges.set(job, new CipherReader(request));
	},
	async readRange(job: number): Promise<RangeChunk> {
		const reader = ranges.get(job);
		if (!reader) return { error: toWire(new Error(`No download ${job}.`)) };
		try {
			const chunk = await reader.read();
			if (chunk === null) ranges.delete(job);
			return chunk ? Comlink.transfer({ chunk }, [chunk.buffer as ArrayBuffer]) : { chunk };
		} catch (err) {
			ranges.delete(job);
			return { error: toWire(err) };
		}
	},
	closeRange(job: number): void {
		ranges.get(job)?.close();
		ranges.delete(job);
	}
};

export type CryptoWorkerApi = typeof api;

Comlink.expose(api);
