/// <reference lib="webworker" />
// Argon2id for a share password, off the page's main thread: 64 MiB and a second of CPU would
// otherwise freeze the page. One worker per derivation; the page terminates it afterwards, which
// frees the WebAssembly memory at once.
import * as Comlink from 'comlink';
import { derivePasswordKey, type PasswordKdfInput } from '../crypto';

const api = {
	async derive(password: string, header: PasswordKdfInput): Promise<Uint8Array> {
		const key = await derivePasswordKey(password, header);
		return Comlink.transfer(key, [key.buffer]);
	}
};

export type Argon2WorkerApi = typeof api;

Comlink.expose(api);
