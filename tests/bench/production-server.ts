import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';

/**
 * `dist/server.js` as `npm start` runs it (build first), on its embedded defaults in `dataDir`,
 * listening on a free port of 127.0.0.1. `env` adds to or overrides those settings.
 */
export async function startProductionServer(
	dataDir: string,
	env: Record<string, string> = {},
	nodeArgs: string[] = []
): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
	await mkdir(dataDir, { recursive: true });
	const child = spawn(process.execPath, [...nodeArgs, '--enable-source-maps', 'dist/server.js'], {
		env: {
			...process.env,
			SEALDROP_PORT: '0',
			SEALDROP_HOST: '127.0.0.1',
			SEALDROP_DATA_DIR: dataDir,
			SEALDROP_LOG_LEVEL: 'warn',
			...env
		},
		stdio: ['ignore', 'pipe', 'inherit']
	});
	const url = await new Promise<string>((resolve, reject) => {
		let out = '';
		child.stdout!.on('data', (data: Buffer) => {
			out += data.toString();
			const match = /listening on (http:\/\/\S+)/i.exec(out);
			if (match) resolve(match[1]!.replace('localhost', '127.0.0.1'));
		});
		child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
	});
	const stop = async () => {
		if (child.exitCode !== null || child.signalCode !== null) return;
		const exited = new Promise((resolve) => child.once('exit', resolve));
		child.kill('SIGTERM');
		await exited;
	};
	return { url, process: child, stop };
}
