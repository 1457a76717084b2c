import { Hono } from 'hono';
import type { Config } from '../config';
import type { ClientAddress } from '../http/client-address';
import type { Shares } from '../shares';
import { configRoutes } from './config';
import { downloadRoutes } from './downloads';
import { partRoutes } from './parts';
import { shareRoutes } from './shares';

/** Everything under /api/v1 (docs/API.md). */
export function apiRoutes(shares: Shares, config: Config, clientAddress?: ClientAddress): Hono {
	const api = new Hono();
	api.route('/', configRoutes(config));
	api.route('/', shareRoutes(shares, config));
	api.route('/', partRoutes(shares));
	api.route('/', downloadRoutes(shares, clientAddress));
	return api;
}
