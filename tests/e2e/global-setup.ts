import { existsSync } from 'node:fs';
import { CHROMIUM_PATH } from '../support/chromium.ts';

export default function globalSetup() {
	if (!existsSync(CHROMIUM_PATH)) {
		throw new Error(
			`Chromium not found at ${CHROMIUM_PATH}. Install it with \`sudo apt-get install chromium\` ` +
				'(or point SEALDROP_CHROMIUM at another Chromium build).'
		);
	}
	if (!existsSync('build/200.html') || !existsSync('dist/server.js')) {
		throw new Error('No production build in build/ and dist/: run `npm run build` first (`npm test` does).');
	}
}
