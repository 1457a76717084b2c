import { existsSync } from 'node:fs';
import { CHROMIUM_PATH } from '../support/chromium.ts';
import { FIREFOX_PATH } from '../support/firefox.ts';
import { provideTestDatabase } from '../support/throwaway-postgres.ts';

/** Checks what the browser tests need, one line each for what is missing; starts their database. */
export default function globalSetup(): Promise<() => Promise<void>> {
	const missing = [
		{ path: CHROMIUM_PATH, pkg: 'chromium', env: 'SEALDROP_CHROMIUM' },
		{ path: FIREFOX_PATH, pkg: 'firefox-esr', env: 'SEALDROP_FIREFOX' }
	].filter(({ path }) => !existsSync(path));
	if (missing.length > 0) {
		const names = missing.map(({ pkg }) => pkg).join(' ');
		const paths = missing.map(({ path, env }) => `${path} (${env})`).join(', ');
		throw new Error(
			`Browsers not found: ${paths}. Install them with \`sudo apt-get install ${names}\`, or point the variables at other builds.`
		);
	}
	if (!existsSync('build/200.html') || !existsSync('dist/server.js')) {
		throw new Error('No production build in build/ and dist/: run `npm run build` first (`npm test` does).');
	}
	// The multi-instance test shares one PostgreSQL between two servers.
	return provideTestDatabase();
}
