import { encryptBlobRecords, RecordDecryptor, type RecordLayout } from '../crypto';

/** Decrypts one ranged ciphertext stream, record by record. */
export interface StreamDecryptor {
	push(chunk: Uint8Array): Promise<Uint8Array[]>;
	finish(): Promise<Uint8Array[]>;
	close(): void;
}

/**
 * Where the record crypto runs. The browser uses a pool of Web Workers so that the page stays
 * responsive; Node (tests, CLI) runs it in-thread. Both give identical bytes.
 */
export interface CryptoBackend {
	/** Ciphertext of records [first, first+count) of `source`, as one Blob (one upload part). */
	encryptPart(key: CryptoKey, source: Blob, layout: RecordLayout, first: number, count: number): Promise<Blob>;
	decryptor(key: CryptoKey, layout: RecordLayout, firstRecord: number, endRecord: number): StreamDecryptor;
	dispose(): void;
}

export async function encryptPartInline(
	key: CryptoKey,
	source: Blob,
	layout: RecordLayout,
	first: number,
	count: number
): Promise<Blob> {
	const records: BlobPart[] = [];
	for await (const record of encryptBlobRecords(key, source, layout, first, count)) records.push(record as Uint8Array<ArrayBuffer>);
	return new Blob(records);
}

export const inlineBackend: CryptoBackend = {
	encryptPart: encryptPartInline,
	decryptor(key, layout, firstRecord, endRecord) {
		const decryptor = new RecordDecryptor(key, layout, firstRecord, endRecord);
		return { push: (chunk) => decryptor.push(chunk), finish: () => decryptor.finish(), close() {} };
	},
	dispose() {}
};
