import type { PasswordKdf } from '../crypto';
import type { RangeReader, RangeRequest } from '../transfer/cipher-reader';
import type { CryptoBackend, PartUpload } from '../transfer/crypto-backend';

let backend: CryptoBackend | null = null;
let loading: Promise<CryptoBackend> | null = null;

/**
 * The worker pool (with Comlink) is loaded on the first part or range, not with the page: the
 * pages are usable sooner on a slow phone, and nothing here needs a click's user activation.
 */
function workers(): Promise<CryptoBackend> {
	loading ??= import('./worker-backend').then(
		({ createWorkerBackend }) => (backend = createWorkerBackend()),
		(err: unknown) => {
			loading = null; // tried again on the next use
			throw err;
		}
	);
	return loading;
}

/** A range whose reader exists once the workers have loaded. */
class LaterReader implements RangeReader {
	constructor(private readonly reader: Promise<RangeReader>) {
		reader.catch(() => {}); // surfaced by read()
	}
	async read(): Promise<Uint8Array | null> {
		return (await this.reader).read();
	}
	close(): void {
		void this.reader.then((r) => r.close()).catch(() => {});
	}
}

const lazyBackend: CryptoBackend = {
	sendPart: async (part: PartUpload, signal?: AbortSignal) => (await workers()).sendPart(part, signal),
	openRange: (request: RangeRequest) =>
		backend ? backend.openRange(request) : new LaterReader(workers().then((b) => b.openRange(request))),
	openFile: async (handle: FileSystemFileHandle) => {
		const loaded = await workers();
		if (!loaded.openFile) throw new Error('The crypto workers cannot write files.'); // createWorkerBackend always can
		return loaded.openFile(handle);
	},
	dispose: () => backend?.dispose()
};

/** The page's crypto workers, started on first use and shared by uploads and downloads. */
export function browserCryptoBackend(): CryptoBackend {
	return lazyBackend;
}

/** Argon2id in a worker of its own (workers/argon2.ts), whose code loads only when a password is used. */
export const lazyPasswordKdf: PasswordKdf = async (password, header) =>
	(await import('../workers/argon2')).workerPasswordKdf(password, header);
