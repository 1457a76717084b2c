import { Hono } from 'hono';
import { AppError } from '../errors';
import { bearerToken } from '../http/auth';
import { socketAddress, type ClientAddress } from '../http/client-address';
import { parseShareId } from '../http/params';
import { parseRange } from '../http/range';
import type { Shares } from '../shares';

/** Recipient side: sealed metadata and claim (read token), blob (ticket). */
export function downloadRoutes(shares: Shares, clientAddress: ClientAddress = socketAddress): Hono {
	return new Hono()
		.get('/shares/:id/metadata', async (c) => {
			const id = parseShareId(c.req.param('id'));
			return c.json(await shares.metadata(id, bearerToken(c.req.header('authorization')), clientAddress(c)));
		})
		.post('/shares/:id/claim', async (c) => {
			const id = parseShareId(c.req.param('id'));
			return c.json(await shares.claim(id, bearerToken(c.req.header('authorization')), clientAddress(c)));
		})
		.get('/shares/:id/blob', async (c) => {
			const id = parseShareId(c.req.param('id'));
			const blob = await shares.openBlob(id, bearerToken(c.req.header('authorization')));
			const range = parseRange(c.req.header('range'), blob.size);
			const headers = { 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes' };
			if (range.kind === 'unsatisfiable') {
				throw new AppError('RANGE_NOT_SATISFIABLE', `The blob has ${blob.size} bytes; send one range inside it.`, undefined, {
					'Content-Range': `bytes */${blob.size}`
				});
			}
			if (range.kind === 'full') {
				return c.body(await blob.read(0, blob.size), 200, { ...headers, 'Content-Length': String(blob.size) });
			}
			return c.body(await blob.read(range.start, range.end), 206, {
				...headers,
				'Content-Length': String(range.end - range.start),
				'Content-Range': `bytes ${range.start}-${range.end - 1}/${blob.size}`
			});
		});
}
