// Worker side of the Web Share Target (sw-protocol.ts). The worker only hands things over: it
// keeps the shared File objects (the browser backs a form's files by disk, not by this worker's
// memory) until the page it opened takes them, and never reads or uploads their bytes.
import { SHARE_PATH, SHARED_PAGE, type SharedItems, type SharePageToWorker } from './sw-protocol';

/** Nobody took them (the page failed to load): let them go rather than hold files for ever. */
const UNCLAIMED_MS = 60_000;

let inbox: SharedItems | null = null;
let dropTimer: ReturnType<typeof setTimeout> | undefined;

/** The response for a share POST, or null if `request` is not one. */
export function shareResponse(url: URL, request: Request): Promise<Response> | null {
	if (url.pathname !== SHARE_PATH) return null;
	const upload = new URL(SHARED_PAGE, url.origin).href;
	if (request.method !== 'POST') return Promise.resolve(Response.redirect(new URL('/', url.origin).href, 303));
	return request
		.formData()
		.then(
			(form) => keep(sharedItems(form)),
			() => keep(null) // an unreadable body: the upload page opens with nothing in it
		)
		.then(() => Response.redirect(upload, 303));
}

/** Answers the page's `share-take` once; true if `data` was one. */
export function shareMessage(data: unknown, ports: readonly MessagePort[]): boolean {
	if ((data as SharePageToWorker | undefined)?.type !== 'share-take' || !ports[0]) return false;
	ports[0].postMessage(inbox);
	ports[0].close();
	keep(null);
	return true;
}

function keep(items: SharedItems | null): void {
	clearTimeout(dropTimer);
	inbox = items;
	if (items) dropTimer = setTimeout(() => keep(null), UNCLAIMED_MS);
}

/** The files, and the title, text and link as one note (apps often repeat the link in the text). */
export function sharedItems(form: FormData): SharedItems {
	const files = form.getAll('files').filter((value): value is File => typeof value !== 'string' && (value.size > 0 || value.name !== ''));
	const lines: string[] = [];
	for (const key of ['title', 'text', 'url']) {
		const value = form.get(key);
		const text = typeof value === 'string' ? value.trim() : '';
		if (text && !lines.some((line) => line.includes(text))) lines.push(text);
	}
	return { files, note: lines.join('\n') };
}
