import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/chromium.ts';

// Browser end-to-end tests: Debian's Chromium against the production build (build/) served by the
// real server, started in-process per worker on 127.0.0.1 with a fresh data directory.
export default defineConfig({
	testDir: './e2e',
	outputDir: '../test-results',
	globalSetup: './e2e/global-setup.ts',
	timeout: 180_000,
	expect: { timeout: 20_000 },
	fullyParallel: false,
	workers: 1,
	forbidOnly: !!process.env.CI,
	reporter: [['list']],
	use: {
		browserName: 'chromium',
		acceptDownloads: true,
		// The app follows the browser's language: the other specs read English.
		locale: 'en-US',
		launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
		trace: 'off'
	}
});
