import * as Comlink from 'comlink';
import { derivePasswordKey, type PasswordKdf, type PasswordKdfInput } from '../crypto';
import type { Argon2WorkerApi } from './argon2.worker';

/**
 * derivePasswordKey in a Web Worker of its own, terminated as soon as it answers (which frees its
 * 64 MiB at once). Falls back to the calling thread only where a worker cannot be created at all.
 */
export const workerPasswordKdf: PasswordKdf = async (password: string, header: PasswordKdfInput) => {
	let worker: Worker;
	try {
		worker = new Worker(new URL('./argon2.worker.ts', import.meta.url), { type: 'module' });
	} catch {
		return derivePasswordKey(password, header);
	}
	try {
		// A worker script that fails to load or crashes never answers through Comlink: race its error.
		const failed = new Promise<never>((_, reject) => {
			worker.addEventListener('error', (event) => {
				event.preventDefault();
				reject(new Error(`The password worker failed: ${event.message || 'could not start'}`));
			});
		});
		const remote = Comlink.wrap<Argon2WorkerApi>(worker);
		// Copies: the caller's header keeps its buffers.
		const input: PasswordKdfInput = { salt: header.salt.slice(), kdf: header.kdf && { ...header.kdf } };
		return new Uint8Array(await Promise.race([remote.derive(password, input), failed]));
	} finally {
		worker.terminate();
	}
};
