import { Hono, type Context } from 'hono';
import type { Accounts } from '../accounts/service';
import type { Config } from '../config/schema';
import type { ClientAddress } from '../http/client-address';
import { requestCredentials } from '../http/credentials';
import type { Requests } from '../requests';
import type { Shares } from '../shares';
import { accountRoutes } from './account';
import { authRoutes } from './auth';
import { configRoutes } from './config';
import { downloadRoutes } from './downloads';
import { partRoutes } from './parts';
import { requestRoutes } from './requests';
import { shareRoutes } from './shares';

/** Everything under /api/v1 (docs/API.md). */
export function apiRoutes(shares: Shares, requests: Requests, config: Config, clientAddress?: ClientAddress, accounts?: Accounts): Hono {
	const api = new Hono();
	api.route('/', configRoutes(config));
	// Restricted upload mode: creating a share needs a session or an API token.
	const uploader = accounts && (async (c: Context) => (await accounts.requireCaller(requestCredentials(c))).user);
	api.route('/', shareRoutes(shares, config, uploader));
	// Creating a file request is like creating a share; submitting to one needs no account.
	api.route('/', requestRoutes(requests, config, uploader));
	if (accounts) {
		api.route('/', authRoutes(accounts));
		api.route('/', accountRoutes(accounts));
	}
	api.route('/', partRoutes(shares));
	api.route('/', downloadRoutes(shares, clientAddress));
	return api;
}
