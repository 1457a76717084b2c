import type { Progress, ProgressListener } from '../src/lib/transfer/progress';
import { formatBytes } from './common';
import type { CliIo } from './io';

function clock(seconds: number): string {
	const s = Math.round(seconds);
	const h = Math.floor(s / 3600);
	const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, '0');
	const ss = String(s % 60).padStart(2, '0');
	return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** One status line: bar, percentage, bytes, speed and time left. */
export function progressLine(label: string, p: Progress, width = 80): string {
	const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
	const speed = p.bytesPerSecond > 0 ? `${formatBytes(p.bytesPerSecond)}/s` : '…';
	const eta = p.secondsLeft === null ? '--:--' : clock(p.secondsLeft);
	const tail = ` ${String(Math.floor(fraction * 100)).padStart(3)}% ${formatBytes(p.done)}/${formatBytes(p.total)} ${speed} ${eta}`;
	const barWidth = Math.max(10, Math.min(40, width - tail.length - label.length - 4));
	const full = Math.round(fraction * barWidth);
	return `${label} [${'#'.repeat(full)}${'-'.repeat(barWidth - full)}]${tail}`;
}

/** A progress bar on a terminal (standard error), nothing otherwise. */
export function progressBar(io: CliIo, label: string, quiet: boolean): { listener?: ProgressListener; done(): void } {
	if (quiet || !io.stderr.isTTY) return { done() {} };
	let drawn = false;
	return {
		listener: (p) => {
			drawn = true;
			io.stderr.write(`\r${progressLine(label, p, io.stderr.columns ?? 80)}\x1b[K`);
		},
		done() {
			if (drawn) io.stderr.write('\n');
		}
	};
}
