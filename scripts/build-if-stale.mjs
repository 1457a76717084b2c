// `npm start`'s pre-step: builds the web app and the server bundle only when their sources
// changed since the last build made here (a content hash, so a fresh clone or a `git checkout`
// is judged by what the files say, not by their times).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const INPUTS = [
	'src',
	'server',
	'static',
	'messages',
	'project.inlang/settings.json',
	'scripts/inlang-json-messages.js',
	'scripts/precompress.mjs',
	'scripts/lazy-locales.ts',
	'package.json',
	'package-lock.json',
	'svelte.config.js',
	'vite.config.ts',
	'tsconfig.json'
];
/** Written by the build itself (the compiled messages): not a source. */
const GENERATED = new Set(['src/lib/paraglide']);
const OUTPUTS = ['build/200.html', 'dist/server.js', 'dist/cli.js'];
const STAMP = 'dist/.source-hash';

function* files(path) {
	if (!existsSync(path) || GENERATED.has(path)) return;
	if (!statSync(path).isDirectory()) {
		yield path;
		return;
	}
	// The compiled messages are an output of the build (from messages/), not an input.
	if (path === join('src', 'lib', 'paraglide')) return;
	for (const entry of readdirSync(path).sort()) yield* files(join(path, entry));
}

const hash = createHash('sha256');
for (const input of INPUTS) {
	for (const file of files(input)) hash.update(`${file}\0`).update(readFileSync(file)).update('\0');
}
const digest = hash.digest('hex');

const built = OUTPUTS.every((output) => existsSync(output)) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === digest;
if (!built) {
	execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
	writeFileSync(STAMP, digest);
}
