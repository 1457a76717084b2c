import { ApiClient } from './client';
import type { ServerConfig } from './types';

let pending: Promise<ServerConfig> | null = null;

/**
 * The server's settings, fetched once per page load: the menu and the page share one request.
 * A failure is not kept, so the next caller asks again.
 */
export function serverConfig(): Promise<ServerConfig> {
	pending ??= new ApiClient().config().catch((err: unknown) => {
		pending = null;
		throw err;
	});
	return pending;
}
