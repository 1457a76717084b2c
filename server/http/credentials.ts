import type { Context } from 'hono';
import type { RequestCredentials, RequestOrigin } from '../accounts/credentials';
import { bearerToken } from './auth';
import { readSessionCookie } from './session-cookie';

export function requestOrigin(c: Context): RequestOrigin {
	return {
		method: c.req.method,
		secFetchSite: c.req.header('sec-fetch-site'),
		origin: c.req.header('origin'),
		host: c.req.header('host')
	};
}

/**
 * The caller's credentials, read off the request for the accounts use cases. An Authorization
 * header that is not `Bearer <token>` is 401 here, before any use case runs.
 */
export function requestCredentials(c: Context): RequestCredentials {
	const authorization = c.req.header('authorization');
	return {
		bearerToken: authorization === undefined ? undefined : bearerToken(authorization),
		sessionToken: readSessionCookie(c),
		origin: requestOrigin(c)
	};
}
