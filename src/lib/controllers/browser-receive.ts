import { browserCryptoBackend, lazyPasswordKdf } from '../backends/backend';
import { ApiClient } from '../api/client';
import { ReceiveController } from './receive-controller';

/**
 * The recipient's controller wired to the browser, for the share page (src/routes/s/[id]) and the
 * requester's submissions: downloads, ZIP, service-worker streaming and File System Access saving.
 * `preload()` loads the saving code once the share is read, before any click: the save dialogs
 * need the click's user activation, so the click must not wait for a download.
 */
export function browserReceiveController(api: ApiClient): { receive: ReceiveController; preload(): void } {
	let saving: typeof import('../save/save-target') | null = null;
	let savingLoad: Promise<typeof import('../save/save-target')> | null = null;
	const loadSaving = () =>
		(savingLoad ??= import('../save/save-target').then(
			(module) => (saving = module),
			(err: unknown) => {
				savingLoad = null; // tried again by the click
				throw err;
			}
		));
	const downloadWorker = async () => (await import('../service-worker/sw-sink')).downloadWorker();
	const receive = new ReceiveController({
		api,
		crypto: browserCryptoBackend,
		passwordKdf: lazyPasswordKdf,
		chooseSaveTarget: (files) => (saving ? saving.chooseSaveTarget(files) : loadSaving().then((s) => s.chooseSaveTarget(files))),
		mediaWorker: () => downloadWorker(),
		online: (listener) => {
			window.addEventListener('online', listener);
			return () => window.removeEventListener('online', listener);
		},
		loadPdf: async () => (await import('../preview/pdf')).openPdf
	});
	return {
		receive,
		preload() {
			loadSaving().catch(() => {});
			void downloadWorker();
		}
	};
}
