// Bundles the `sealdrop` client (cli/bin.ts) into one file for packages/cli: the crypto core, the
// API client, the transfer engine, hash-wasm and qrcode inlined, so that installing it pulls no
// dependency (none of the server's, no native build).
import { readFile, rename, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';

const pkg = JSON.parse(await readFile(new URL('../packages/cli/package.json', import.meta.url), 'utf8'));
const out = 'packages/cli/sealdrop.mjs';
const result = await build({
	entryPoints: ['cli/bin.ts'],
	outfile: out,
	write: false,
	bundle: true,
	platform: 'node',
	target: 'node20',
	format: 'esm',
	minifySyntax: true,
	legalComments: 'eof',
	define: { __SEALDROP_VERSION__: JSON.stringify(pkg.version) },
	// Bundled CommonJS (qrcode) calls require() for Node's built-ins.
	banner: { js: "import { createRequire as __sealdropRequire } from 'node:module'; const require = __sealdropRequire(import.meta.url);" },
	logLevel: 'warning'
});
// Written whole, then renamed: a test running the previous build never reads half a file.
const tmp = `${out}.${process.pid}.tmp`;
await writeFile(tmp, result.outputFiles[0].contents, { mode: 0o755 });
await rename(tmp, out);
