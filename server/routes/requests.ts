import { Hono, type Context } from 'hono';
import type { Config } from '../config/schema';
import { bearerToken } from '../http/auth';
import { BodyBudget, readJsonBody } from '../http/json-body';
import { parseShareId } from '../http/params';
import type { Requests } from '../requests';
import type { UserRecord } from '../stores/meta/account-types';
import { createRequestBody, createSubmissionBody } from './schemas';
import { createBodyBudget, jsonBodyLimit } from './shares';

/**
 * File requests (docs/API.md). `requester` (restricted mode) names the account creating a
 * request, or refuses before the body is read; submitting needs no account.
 */
export function requestRoutes(requests: Requests, config: Config, requester?: (c: Context) => Promise<UserRecord>): Hono {
	const maxBody = jsonBodyLimit(config);
	const bodies = new BodyBudget(createBodyBudget(config));
	return new Hono()
		.post('/requests', async (c) => {
			const owner = await requester?.(c);
			const input = await readJsonBody(c.req.raw, createRequestBody, maxBody, bodies);
			return c.json(await requests.create({ ...input, owner }), 201);
		})
		.get('/requests/:id', async (c) => {
			return c.json(await requests.info(parseShareId(c.req.param('id'))));
		})
		.post('/requests/:id/close', async (c) => {
			const id = parseShareId(c.req.param('id'));
			return c.json(await requests.close(id, bearerToken(c.req.header('authorization'))));
		})
		.post('/requests/:id/submissions', async (c) => {
			const id = parseShareId(c.req.param('id'));
			const input = await readJsonBody(c.req.raw, createSubmissionBody, maxBody, bodies);
			return c.json(await requests.submit(id, input), 201);
		})
		.get('/requests/:id/submissions', async (c) => {
			const id = parseShareId(c.req.param('id'));
			return c.json(await requests.listSubmissions(id, bearerToken(c.req.header('authorization'))));
		})
		.delete('/requests/:id/submissions/:sid', async (c) => {
			const id = parseShareId(c.req.param('id'));
			const submissionId = parseShareId(c.req.param('sid'));
			await requests.deleteSubmission(id, bearerToken(c.req.header('authorization')), submissionId);
			return c.body(null, 204);
		});
}
