import type { CryptoBackend } from '../transfer/crypto-backend';
import { createWorkerBackend } from './worker-backend';

let backend: CryptoBackend | null = null;

/** The page's crypto workers, started on first use and shared by uploads and downloads. */
export function browserCryptoBackend(): CryptoBackend {
	backend ??= createWorkerBackend();
	return backend;
}
