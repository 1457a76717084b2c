import { Hono, type Context } from 'hono';
import type { Config } from '../config/schema';
import { bearerToken } from '../http/auth';
import { BodyBudget, readJsonBody } from '../http/json-body';
import { parseShareId } from '../http/params';
import type { Shares } from '../shares';
import type { UserRecord } from '../stores/meta/account-types';
import { createShareBody, updateShareBody } from './schemas';

/** JSON bodies carry the metadata base64url-encoded (4/3 of its bytes) plus small fields. */
export function jsonBodyLimit(config: Config): number {
	return Math.ceil((config.maxMetadataBytes * 4) / 3) + 16 * 1024;
}

/** A PATCH is two small integers (about 40 bytes); 1 KiB leaves room for whitespace. */
export const UPDATE_BODY_LIMIT = 1024;

/**
 * Create bodies buffered at once by this instance: 32 MiB, or two of the largest if
 * SEALDROP_MAX_METADATA_BYTES is set that high. Honest creates carry a few KiB of metadata.
 */
export function createBodyBudget(config: Config): number {
	return Math.max(32 * 1024 * 1024, 2 * jsonBodyLimit(config));
}

/**
 * Create, public info, delete, update. `uploader` (restricted mode) names the account creating
 * a share, or refuses the request before its body is read.
 */
export function shareRoutes(shares: Shares, config: Config, uploader?: (c: Context) => Promise<UserRecord>): Hono {
	const maxBody = jsonBodyLimit(config);
	const createBodies = new BodyBudget(createBodyBudget(config));
	return new Hono()
		.post('/shares', async (c) => {
			const owner = await uploader?.(c);
			const input = await readJsonBody(c.req.raw, createShareBody, maxBody, createBodies);
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
			const readInput = () => readJsonBody(c.req.raw, updateShareBody, UPDATE_BODY_LIMIT);
			return c.json(await shares.update(id, token, readInput));
		});
}
