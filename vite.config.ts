import { paraglideVitePlugin } from '@inlang/paraglide-js';
import { sveltekit } from '@sveltejs/kit/vite';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { lazyLocales } from './scripts/lazy-locales.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './tests/support/chromium.ts';

// In development the API runs separately (`npm run serve`); Vite proxies /api to it.
const apiTarget = process.env.SEALDROP_DEV_API ?? 'http://127.0.0.1:8080';

const PARAGLIDE = {
	project: './project.inlang',
	outdir: './src/lib/paraglide',
	strategy: ['localStorage', 'preferredLanguage', 'baseLocale'],
	emitTsDeclarations: true
} satisfies Parameters<typeof paraglideVitePlugin>[0];

/** Tests that need a browser's own APIs (IndexedDB, CryptoKeys stored in it): Chromium only. */
const BROWSER_ONLY = ['tests/unit/browser/**/*.test.ts'];
/** Test files that are about PostgreSQL, S3 or several processes as a whole. */
const FULL_TIER_ONLY = ['tests/server/multi-instance.test.ts', 'tests/server/backends.test.ts', 'tests/server/cli.test.ts'];

export default defineConfig({
	plugins: [
		// Compiles messages/*.json into typed functions in src/lib/paraglide (generated, git-ignored).
		// The SPA renders in the browser only: the locale is the switcher's choice, then the browser's.
		paraglideVitePlugin(PARAGLIDE),
		// Production builds: only the visitor's language is loaded, not all six.
		lazyLocales({
			messagesDir: `${PARAGLIDE.outdir}/messages`,
			settings: `${PARAGLIDE.project}/settings.json`,
			store: 'src/lib/locales.ts'
		}),
		sveltekit()
	],
	server: { proxy: { '/api': apiTarget } },
	test: {
		projects: [
			{
				extends: true,
				test: {
					name: 'node',
					environment: 'node',
					globalSetup: ['tests/support/vitest-global-setup.ts'],
					include: ['tests/unit/**/*.test.ts', 'tests/server/**/*.test.ts'],
					exclude: BROWSER_ONLY
				}
			},
			{
				// `npm run test:fast`: the same tests on SQLite and the filesystem only, without
				// PostgreSQL, S3, browsers or child processes (tests/support/tier.ts).
				extends: true,
				test: {
					name: 'fast',
					environment: 'node',
					env: { SEALDROP_TEST_TIER: 'fast' },
					include: ['tests/unit/**/*.test.ts', 'tests/server/**/*.test.ts'],
					exclude: [...FULL_TIER_ONLY, ...BROWSER_ONLY]
				}
			},
			{
				// The crypto core and its test vectors run again in real Chromium.
				extends: true,
				test: {
					name: 'chromium',
					include: ['tests/unit/crypto/**/*.test.ts', ...BROWSER_ONLY],
					browser: {
						enabled: true,
						headless: true,
						// These tests draw nothing; a failure screenshot would only litter the tree.
						screenshotFailures: false,
						provider: playwright({
							launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS }
						}),
						instances: [{ browser: 'chromium' }]
					}
				}
			}
		]
	}
});
