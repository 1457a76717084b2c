import { Hono } from 'hono';
import { z } from 'zod';
import type { Accounts } from '../accounts/service';
import { MAX_PASSWORD_LENGTH } from '../accounts/passwords';
import { requestCredentials, requestOrigin } from '../http/credentials';
import { readJsonBody } from '../http/json-body';
import { clearSessionCookie, setSessionCookie } from '../http/session-cookie';

// Strict like every JSON body of the API: an unknown field is a client's typo (API.md, Conventions).
const loginBody = z
	.object({
		name: z.string().max(256),
		// Longer ones are refused as a wrong password, after the same work, by the use case.
		password: z
			.string()
			.min(1)
			.max(MAX_PASSWORD_LENGTH + 1)
	})
	.strict();

/** Login, logout and "who am I" (restricted upload mode; docs/API.md, "Accounts"). */
export function authRoutes(accounts: Accounts): Hono {
	return new Hono()
		.post('/login', async (c) => {
			const input = await readJsonBody(c.req.raw, loginBody, 8 * 1024);
			const { account, session } = await accounts.login(input, requestOrigin(c));
			setSessionCookie(c, session.token, session.maxAgeSeconds);
			return c.json({ account, sessionExpiresAt: session.expiresAt });
		})
		.post('/logout', async (c) => {
			await accounts.logout(requestCredentials(c));
			clearSessionCookie(c);
			return c.body(null, 204);
		})
		.get('/me', async (c) => c.json(await accounts.describe(await accounts.requireCaller(requestCredentials(c)))));
}
