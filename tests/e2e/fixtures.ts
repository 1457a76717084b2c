import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base } from '@playwright/test';
import type { Config } from '../../server/config/schema';
import { loadConfig } from '../../server/config/load';
import { createLogger } from '../../server/logger';
import { startSealdrop, type RunningSealdrop } from '../../server/start';

export interface SealdropServer {
	url: string;
	dataDir: string;
	config: Config;
	/** Stops the server and starts it again on the same port and data (a crash or a deploy). */
	restart(): Promise<void>;
}

/** The real server on 127.0.0.1 with a fresh data directory, serving the production build. */
async function launch(dataDir: string, port = 0, env: Record<string, string> = {}) {
	const config = loadConfig({
		SEALDROP_HOST: '127.0.0.1',
		SEALDROP_PORT: String(port),
		SEALDROP_DATA_DIR: dataDir,
		SEALDROP_STATIC_DIR: 'build',
		SEALDROP_LOG_LEVEL: 'silent',
		// One browser on 127.0.0.1 makes every share of the suite: per-address limits have their own tests.
		SEALDROP_RATE_LIMIT_CREATE: 'off',
		SEALDROP_RATE_LIMIT_CLAIM: 'off',
		...env
	});
	return startSealdrop(config, { logger: createLogger('silent') });
}

export const test = base.extend<object, { sealdrop: SealdropServer }>({
	sealdrop: [
		// Playwright requires the destructuring pattern even when no fixture is used.
		// eslint-disable-next-line no-empty-pattern
		async ({}, use) => {
			const dataDir = await mkdtemp(join(tmpdir(), 'sealdrop-e2e-'));
			let server = await launch(dataDir);
			await use({
				url: server.url,
				dataDir,
				config: server.config,
				async restart() {
					await server.close();
					server = await launch(dataDir, server.port);
				}
			});
			await server.close();
			await rm(dataDir, { recursive: true, force: true });
		},
		{ scope: 'worker' }
	]
});

export { expect } from '@playwright/test';

/**
 * A worker-scoped server in restricted upload mode (SEALDROP_UPLOAD_ACCESS=restricted), for
 * tests/e2e/restricted.spec.ts; its accounts are added through `sealdrop.meta.accounts`.
 */
export const restrictedTest = base.extend<object, { restricted: SealdropServer & { meta: RunningSealdrop['meta'] } }>({
	restricted: [
		// eslint-disable-next-line no-empty-pattern
		async ({}, use) => {
			const dataDir = await mkdtemp(join(tmpdir(), 'sealdrop-e2e-restricted-'));
			let server = await launch(dataDir, 0, { SEALDROP_UPLOAD_ACCESS: 'restricted' });
			await use({
				url: server.url,
				dataDir,
				config: server.config,
				get meta() {
					return server.meta;
				},
				async restart() {
					await server.close();
					server = await launch(dataDir, server.port, { SEALDROP_UPLOAD_ACCESS: 'restricted' });
				}
			});
			await server.close();
			await rm(dataDir, { recursive: true, force: true });
		},
		{ scope: 'worker' }
	]
});
