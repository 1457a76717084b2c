import type { ReceiveState } from './controllers/receive-controller';
import { formatPercent } from './format';
import { m } from './paraglide/messages.js';

/*
 * Wording the first views show (titles, headings, status words), apart from the error catalogue in
 * messages.ts, which they load only when a failure is shown. The upload's is in upload-text.ts, so
 * that the share page does not carry it.
 */

/** The tab's title on a share's page, so that a download's progress shows from another tab. */
export function receiveTitle(state: Pick<ReceiveState, 'phase' | 'waiting' | 'progress' | 'stopped'>): string {
	const { phase, waiting, progress, stopped } = state;
	if (phase === 'downloading') {
		const percent = formatPercent(progress && progress.total > 0 ? progress.done / progress.total : 0);
		return waiting ? m.title_waiting({ percent }) : m.title_downloading({ percent });
	}
	if (phase === 'done') return m.title_downloaded();
	if (phase === 'ready' && stopped)
		return m.title_stopped({ percent: formatPercent(stopped.total > 0 ? stopped.done / stopped.total : 0) });
	return m.receive_title();
}

/** Beside Continue download: what continuing keeps, and that it spends nothing. */
export function stoppedText(stopped: NonNullable<ReceiveState['stopped']>): string {
	const percent = formatPercent(stopped.total > 0 ? stopped.done / stopped.total : 0);
	return stopped.restarts === null
		? m.download_stopped_continue({ percent })
		: m.download_stopped_restart({ percent, name: stopped.restarts });
}

/** Above the Show message button: reading a note spends a download, as saving a file does. */
export function noteRevealHint(downloadsLeft: number): string {
	return downloadsLeft === 1 ? m.note_reveal_hint_last() : m.note_reveal_hint();
}

/** The recipient page's heading when a share cannot be opened: it names the problem. */
export function receiveFailedHeading(code: string): string {
	switch (code) {
		case 'NOT_FOUND':
		case 'INVALID_ID':
			return m.receive_failed_not_found();
		case 'EXPIRED':
			return m.receive_failed_expired();
		case 'DOWNLOAD_LIMIT_REACHED':
			return m.receive_failed_used_up();
		case 'DELETED':
			return m.receive_failed_deleted();
		case 'FORBIDDEN':
		case 'BAD_SECRET':
		case 'WRONG_KEY':
			return m.receive_failed_damaged();
		default:
			return m.receive_failed_other();
	}
}

/** Short status words for a share's state, as the owner's list shows them (in the current language when read). */
export const SHARE_STATUS: Record<string, string> = {
	get EXPIRED() {
		return m.status_EXPIRED();
	},
	get DELETED() {
		return m.status_DELETED();
	},
	get DOWNLOAD_LIMIT_REACHED() {
		return m.status_DOWNLOAD_LIMIT_REACHED();
	},
	get NOT_FOUND() {
		return m.status_NOT_FOUND();
	},
	get NOT_READY() {
		return m.status_NOT_READY();
	}
};
