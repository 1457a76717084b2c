import { tick } from 'svelte';
import { progressStep } from '$lib/announce';
import type { UploadPhase, UploadState } from '$lib/controllers/upload-controller';
import { formatNumber } from '$lib/format';
import { m } from '$lib/paraglide/messages.js';

/**
 * What a screen reader hears of an upload: progress every 10 %, and each change of state.
 * 'reconnecting' is said by the status line under the progress bar; `cancelled`: the person
 * pressed Cancel, said as a plain status rather than as a failure.
 */
export function uploadAnnouncement({ phase, progress }: Pick<UploadState, 'phase' | 'progress'>, cancelled: boolean): string {
	const n = formatNumber(progress ? progressStep(progress) : 0);
	if (phase === 'creating' || phase === 'uploading') return m.announce_uploading({ n });
	if (phase === 'paused') return m.announce_paused({ n });
	return cancelled ? m.announce_cancelled() : '';
}

/** Where focus goes as an upload's phase changes; `fallback` when Start is disabled. */
export interface PhaseFocus {
	pause?: HTMLElement;
	resume?: HTMLElement;
	start?: HTMLButtonElement;
	fallback?: HTMLElement;
}

/**
 * The button pressed is gone once the phase changes: focus moves where the task carries on rather
 * than dropping to the page's start. Call while a component initialises; `onPhase` sees each new phase.
 */
export function focusFollowsPhase(phase: () => UploadPhase, targets: () => PhaseFocus, onPhase?: (phase: UploadPhase) => void): void {
	let last: UploadPhase = 'pick';
	$effect(() => {
		const now = phase();
		if (now === last) return;
		last = now;
		onPhase?.(now);
		void tick().then(() => {
			const { pause, resume, start, fallback } = targets();
			if (now === 'creating' || now === 'uploading') pause?.focus();
			else if (now === 'paused') resume?.focus();
			else if (now === 'pick') (start && !start.disabled ? start : fallback)?.focus();
		});
	});
}

/** Closing the tab mid-upload would stop it (it can be resumed, but only with the files picked again). */
export function askBeforeLeaving(busy: () => boolean): (event: BeforeUnloadEvent) => void {
	return (event) => {
		if (!busy()) return;
		event.preventDefault();
		event.returnValue = ''; // older browsers ask only when this is set
	};
}
