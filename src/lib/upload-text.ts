import type { UploadPhase } from './controllers/upload-controller';
import type { Progress } from './transfer/progress';
import { formatPercent } from './format';
import { m } from './paraglide/messages.js';

/* The upload's wording built from its state (page-text.ts has the other pages'). */

/** What the upload's progress bar says in each busy phase (in the current language when read). */
export const UPLOAD_PROGRESS_LABEL: Record<'creating' | 'uploading' | 'reconnecting' | 'paused', string> = {
	get creating() {
		return m.progress_uploading();
	},
	get uploading() {
		return m.progress_uploading();
	},
	get reconnecting() {
		return m.progress_reconnecting();
	},
	get paused() {
		return m.progress_paused();
	}
};

/** Under the progress bar while reconnecting. */
export function reconnectingHint(): string {
	return m.reconnecting_hint();
}

/** The tab's title on the send page, so that progress shows from another tab. */
export function uploadTitle(phase: UploadPhase, progress: Progress | null): string {
	const percent = formatPercent(progress && progress.total > 0 ? progress.done / progress.total : 0);
	switch (phase) {
		case 'creating':
		case 'uploading':
			return m.title_uploading({ percent });
		case 'reconnecting':
			return m.title_reconnecting({ percent });
		case 'paused':
			return m.title_paused({ percent });
		case 'done':
			return m.title_done();
		case 'pick':
			return m.upload_title();
	}
}
