import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { bearerToken } from '../http/auth';
import { parseContentLength, parsePartNumber, parseShareId } from '../http/params';
import type { Shares } from '../shares';
import { nodeBody } from '../streams';

/** Upload: parts, progress, complete (owner token). */
export function partRoutes(shares: Shares): Hono {
	return new Hono()
		.put('/shares/:id/parts/:n', async (c) => {
			const id = parseShareId(c.req.param('id'));
			const n = parsePartNumber(c.req.param('n'));
			const ownerToken = bearerToken(c.req.header('authorization'));
			const declaredLength = parseContentLength(c.req.header('content-length'));
			// Opened only once the part is accepted: a refused body is never touched, so the
			// server can drain it and keep the connection. Streamed from the Node request where
			// there is one (nodeBody: no copy of each chunk), else from the raw request (app.request
			// in tests); never both: mixing them hangs.
			let opened = false;
			const body = () => {
				opened = true;
				const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
				if (incoming instanceof Readable) return nodeBody(incoming);
				return c.req.raw.body ?? (async function* () {})();
			};
			let part;
			try {
				part = await shares.putPart({ id, n, ownerToken, body, declaredLength, signal: c.req.raw.signal });
			} catch (error) {
				// We stopped reading mid-body: the rest of it is still on the wire, so this
				// connection cannot carry another request.
				if (opened) c.header('Connection', 'close');
				throw error;
			}
			return c.json(part);
		})
		.post('/shares/:id/parts/:n/upload-url', async (c) => {
			const id = parseShareId(c.req.param('id'));
			const n = parsePartNumber(c.req.param('n'));
			return c.json(await shares.partUploadUrl(id, n, bearerToken(c.req.header('authorization'))));
		})
		.get('/shares/:id/parts', async (c) => {
			const id = parseShareId(c.req.param('id'));
			return c.json(await shares.listParts(id, bearerToken(c.req.header('authorization'))));
		})
		.post('/shares/:id/complete', async (c) => {
			const id = parseShareId(c.req.param('id'));
			return c.json(await shares.complete(id, bearerToken(c.req.header('authorization'))));
		});
}
