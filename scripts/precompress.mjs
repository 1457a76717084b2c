// A step of `npm run build`: writes `<file>.br` and `<file>.gz` beside every compressible file of
// the web app build, so the built-in server (server/http/static.ts) sends them as they are,
// without compressing on every request. Files under 1 KiB gain nothing worth a second request
// variant; a variant that does not shrink its file by at least 5 % is not written.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/** Kept in step with COMPRESSIBLE in server/http/static.ts. */
const COMPRESSIBLE = /\.(?:html|js|mjs|css|svg|json|webmanifest|wasm|txt|map)$/i;
const MIN_BYTES = 1024;
const MIN_SAVING = 0.05;

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

const root = process.argv[2] ?? 'build';

function* files(dir) {
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) yield* files(path);
		else if (entry.isFile()) yield path;
	}
}

const sources = [...files(root)].filter((path) => COMPRESSIBLE.test(path));
let before = 0;
let afterBrotli = 0;
let written = 0;
// Two at a time: brotli's best quality is CPU-bound and the build machine may be small.
const queue = [...sources];
await Promise.all(
	Array.from({ length: 2 }, async () => {
		for (let path = queue.shift(); path; path = queue.shift()) {
			// A stale variant from an earlier build must never outlive its file's new content.
			rmSync(`${path}.br`, { force: true });
			rmSync(`${path}.gz`, { force: true });
			const data = readFileSync(path);
			if (data.length < MIN_BYTES) continue;
			const [br, gzipped] = await Promise.all([
				brotli(data, {
					params: {
						[constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
						[constants.BROTLI_PARAM_SIZE_HINT]: data.length
					}
				}),
				gz(data, { level: constants.Z_BEST_COMPRESSION })
			]);
			before += data.length;
			afterBrotli += Math.min(br.length, data.length);
			for (const [variant, ext] of [
				[br, 'br'],
				[gzipped, 'gz']
			]) {
				if (variant.length > data.length * (1 - MIN_SAVING)) continue;
				writeFileSync(`${path}.${ext}`, variant);
				written++;
			}
		}
	})
);
console.log(
	`precompressed ${written} variants in ${root}/: ${(before / 1024).toFixed(0)} KiB of compressible files, ${(afterBrotli / 1024).toFixed(0)} KiB as brotli`
);
