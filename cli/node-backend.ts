import { ApiClient } from '../src/lib/api/client';
import { encryptBlobRecords } from '../src/lib/crypto';
import { CipherReader } from '../src/lib/transfer/cipher-reader';
import type { CryptoBackend, PartUpload } from '../src/lib/transfer/crypto-backend';

/**
 * The engine's crypto in Node: each part's records are sealed as the request body streams out,
 * with no part-sized buffer (the browser's backend builds a Blob; in Node that held ~60 MiB more
 * at peak, measured on 256 MiB sends).
 */
async function sendPartStreamed(part: PartUpload, signal?: AbortSignal): Promise<void> {
	const records = encryptBlobRecords(part.key, part.source, part.layout, part.first, part.count);
	const body = new ReadableStream<Uint8Array>(
		{
			async pull(controller) {
				const next = await records.next();
				if (next.done) controller.close();
				else controller.enqueue(next.value);
			},
			async cancel() {
				await records.return(undefined);
			}
		},
		{ highWaterMark: 0 }
	);
	const api = new ApiClient(part.origin);
	if (part.direct) await api.putPartDirect(part.id, part.n, body, part.ownerToken, { signal });
	else await api.putPart(part.id, part.n, body, part.ownerToken, { signal });
}

export const nodeBackend: CryptoBackend = {
	sendPart: sendPartStreamed,
	openRange: (request) => new CipherReader(request),
	dispose() {}
};
