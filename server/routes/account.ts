import { Hono } from 'hono';
import { z } from 'zod';
import { noSuchApiToken } from '../accounts/errors';
import type { Accounts } from '../accounts/service';
import { requestCredentials } from '../http/credentials';
import { readJsonBody } from '../http/json-body';

// Strict like every JSON body of the API: an unknown field is a client's typo (API.md, Conventions).
const createTokenBody = z.object({ name: z.string().trim().min(1).max(100) }).strict();
const TOKEN_ID = /^[A-Za-z0-9_-]{16}$/;

/** The logged-in user's API tokens (docs/API.md, "Accounts"). */
export function accountRoutes(accounts: Accounts): Hono {
	return new Hono()
		.get('/tokens', async (c) => c.json({ tokens: await accounts.listTokens(await accounts.requireSession(requestCredentials(c))) }))
		.post('/tokens', async (c) => {
			const user = await accounts.requireSession(requestCredentials(c));
			const { name } = await readJsonBody(c.req.raw, createTokenBody, 4 * 1024);
			return c.json(await accounts.createToken(user, name), 201);
		})
		.delete('/tokens/:id', async (c) => {
			const user = await accounts.requireSession(requestCredentials(c));
			const id = c.req.param('id');
			if (!TOKEN_ID.test(id)) throw noSuchApiToken();
			await accounts.revokeToken(user, id);
			return c.body(null, 204);
		});
}
