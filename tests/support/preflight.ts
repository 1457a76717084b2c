// `npm test`'s first step: what the suite needs from the system. As root on Debian (a fresh CI
// machine) it installs what is missing; anyone else gets one line saying what to install.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CHROMIUM_PATH } from './chromium.ts';
import { FIREFOX_PATH } from './firefox.ts';
import { findPostgresBinDir } from './throwaway-postgres.ts';

const needs: { present: () => boolean; pkg: string }[] = [
	{ present: () => existsSync(CHROMIUM_PATH), pkg: 'chromium' },
	{ present: () => existsSync(FIREFOX_PATH), pkg: 'firefox-esr' },
	// The ZIP tests open browser-made ZIPs with the standard tool.
	{ present: () => existsSync('/usr/bin/unzip'), pkg: 'unzip' },
	// A throwaway cluster is made from the server binaries unless a database is named.
	{ present: () => Boolean(process.env.SEALDROP_TEST_DATABASE_URL) || findPostgresBinDir() !== undefined, pkg: 'postgresql' }
];

const missing = () => needs.filter((need) => !need.present()).map((need) => need.pkg);
const wanted = missing();
if (wanted.length > 0 && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
	console.log(`preflight: installing ${wanted.join(' ')}`);
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
	execFileSync('apt-get', ['install', '-y', '-qq', ...wanted], { stdio: ['ignore', 'ignore', 'inherit'], env });
}
const still = missing();
if (still.length > 0) {
	console.error(`npm test needs: sudo apt-get install ${still.join(' ')}`);
	process.exit(1);
}
