import type { ServerResponse } from 'node:http';
import { Hono, type Context } from 'hono';
import { parseByteRange } from '../../src/lib/byte-range';
import { bearerToken } from '../http/auth';
import { socketAddress, type ClientAddress } from '../http/client-address';
import { rangeNotSatisfiable } from '../http/errors';
import { parseShareId } from '../http/params';
import type { Shares } from '../shares';

/**
 * A blob that fails mid-transfer (the use case logs why) must look broken to the client, never
 * complete: the connection is cut before its Content-Length is reached. The error is kept from
 * the Node adapter, which would print it with console.error outside the JSON log. Without a
 * socket (`app.request` in tests) the stream simply fails.
 */
function cutOnError(blob: ReadableStream<Uint8Array>, c: Context): ReadableStream<Uint8Array> {
	const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
	if (!outgoing) return blob;
	const reader = blob.getReader();
	// Once cut, pulls wait here until the adapter sees the closed socket and cancels.
	let cut: Promise<void> | undefined;
	let cancelled = () => {};
	return new ReadableStream<Uint8Array>(
		{
			async pull(controller) {
				if (cut) return cut;
				try {
					const { done, value } = await reader.read();
					if (done) controller.close();
					else controller.enqueue(value);
				} catch {
					cut = new Promise((resolve) => (cancelled = resolve));
					outgoing.destroy();
					return cut;
				}
			},
			async cancel(reason) {
				cancelled();
				await reader.cancel(reason).catch(() => {});
			}
		},
		{ highWaterMark: 0 }
	);
}

/** Recipient side: unlock (unlock token), sealed metadata and claim (read token), blob (ticket). */
export function downloadRoutes(shares: Shares, clientAddress: ClientAddress = socketAddress): Hono {
	return new Hono()
		.post('/shares/:id/unlock', async (c) => {
			const id = parseShareId(c.req.param('id'));
			return c.json(await shares.unlock(id, bearerToken(c.req.header('authorization')), clientAddress(c)));
		})
		.get('/shares/:id/metadata', async (c) => {
			const id = parseShareId(c.req.param('id'));
			return c.json(await shares.metadata(id, bearerToken(c.req.header('authorization')), clientAddress(c)));
		})
		.post('/shares/:id/claim', async (c) => {
			const id = parseShareId(c.req.param('id'));
			return c.json(await shares.claim(id, bearerToken(c.req.header('authorization')), clientAddress(c)));
		})
		.post('/shares/:id/blob-url', async (c) => {
			const id = parseShareId(c.req.param('id'));
			return c.json(await shares.blobUrl(id, bearerToken(c.req.header('authorization'))));
		})
		.get('/shares/:id/blob', async (c) => {
			const id = parseShareId(c.req.param('id'));
			const blob = await shares.openBlob(id, bearerToken(c.req.header('authorization')));
			const range = parseByteRange(c.req.header('range'), blob.size);
			const headers = { 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes' };
			// One range only (docs/API.md): the client reads records in order and never needs more.
			if (range.kind === 'unsatisfiable' || range.kind === 'multiple') {
				throw rangeNotSatisfiable(blob.size);
			}
			if (range.kind === 'full') {
				return c.body(cutOnError(await blob.read(0, blob.size, c.req.raw.signal), c), 200, {
					...headers,
					'Content-Length': String(blob.size)
				});
			}
			return c.body(cutOnError(await blob.read(range.start, range.end, c.req.raw.signal), c), 206, {
				...headers,
				'Content-Length': String(range.end - range.start),
				'Content-Range': `bytes ${range.start}-${range.end - 1}/${blob.size}`
			});
		});
}
