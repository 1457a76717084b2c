import { execFile } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../server/helpers';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '../../..');

/**
 * The published package: built, packed and installed offline into an empty folder. Offline
 * install succeeds only if the package needs nothing from the registry: no dependency at all.
 */
describe('the sealdrop package', () => {
	let dir: string;
	beforeAll(async () => {
		dir = await tempDir('sealdrop-pack-');
		await exec('npm', ['run', 'build:cli'], { cwd: root });
	}, 60_000);
	afterAll(() => rm(dir, { recursive: true, force: true }));

	it('installs with no dependencies and runs `sealdrop --help`', async () => {
		const packed = await exec('npm', ['pack', '--json', '--pack-destination', dir], { cwd: join(root, 'packages/cli') });
		const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
		expect(info!.files.map((f) => f.path).sort()).toEqual(['README.md', 'package.json', 'sealdrop.mjs']);
		await exec('npm', ['init', '-y'], { cwd: dir });
		await exec('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, info!.filename)], {
			cwd: dir,
			env: { ...process.env, npm_config_cache: join(dir, 'cache') }
		});
		expect((await readdir(join(dir, 'node_modules'))).filter((n) => !n.startsWith('.'))).toEqual(['sealdrop']);
		const help = await exec(join(dir, 'node_modules/.bin/sealdrop'), ['--help']);
		expect(help.stdout).toContain('Usage: sealdrop COMMAND');
		const manifest = JSON.parse(await readFile(join(dir, 'node_modules/sealdrop/package.json'), 'utf8')) as Record<string, unknown>;
		expect(manifest.dependencies).toBeUndefined();
	}, 60_000);
});
