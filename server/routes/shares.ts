import { Hono, type Context } from 'hono';
import type { Config } from '../config';
import { bearerToken } from '../http/auth';
import { readJsonBody } from '../http/json-body';
import { parseShareId } from '../http/params';
import type { Shares } from '../shares';
import type { UserRecord } from '../stores/meta/account-types';
import { createShareBody, updateShareBody } from './schemas';

/** JSON bodies carry the metadata base64url-encoded (4/3 of its bytes) plus small fields. */
export function jsonBodyLimit(config: Config): number {
	return Math.ceil((config.maxMetadataBytes * 4) / 3) + 16 * 1024;
}

/**
 * Create, public info, delete, update. `uploader` (restricted mode) names the account creating
 * a share, or refuses the request before its body is read.
 */
export function shareRoutes(shares: Shares, config: Config, uploader?: (c: Context) => Promise<UserRecord>): Hono {
	const maxBody = jsonBodyLimit(config);
	return new Hono()
		.post('/shares', async (c) => {
			const owner = await uploader?.(c);
			const input = await readJsonBody(c.req.raw, createShareBody, maxBody);
			return c.json(await shares.create({ ...input, owner }), 201);
		})
		.get('/shares/:id', async (c) => {
			return c.json(await shares.publicInfo(parseShareId(c.req.param('id'))));
		})
		.delete('/shares/:id', async (c) => {
			const id = parseShareId(c.req.param('id'));
			await shares.delete(id, bearerToken(c.req.header('authorization')));
			return c.body(null, 204);
		})
		.patch('/shares/:id', async (c) => {
			const id = parseShareId(c.req.param('id'));
			const token = bearerToken(c.req.header('authorization'));
			const input = await readJsonBody(c.req.raw, updateShareBody, maxBody);
			return c.json(await shares.update(id, token, input));
		});
}
