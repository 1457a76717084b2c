/** Progress of a transfer as the UI shows it. */
export interface Progress {
	/** Plaintext bytes handled so far. */
	done: number;
	total: number;
	/** Smoothed over the last few seconds; 0 until there is enough to measure. */
	bytesPerSecond: number;
	/** null while the speed is unknown. */
	secondsLeft: number | null;
}

export type ProgressListener = (progress: Progress) => void;

const WINDOW_MS = 5000;
/**
 * The listener hears at most this often (and always the end): redrawing the page for every 1 MiB
 * chunk cost its main thread about a second per GiB downloaded, on a 2-core machine where the
 * transfer itself needs every cycle. Ten times a second still looks continuous.
 */
export const REPORT_INTERVAL_MS = 100;

/** Turns a running byte count into speed and time left over a sliding window, and reports it. */
export class ProgressMeter {
	private done = 0;
	private readonly samples: { t: number; bytes: number }[] = [];
	private reportedAt = -Infinity;
	private trailing: ReturnType<typeof setTimeout> | undefined;

	constructor(
		private readonly total: number,
		private readonly listener: ProgressListener = () => {},
		private readonly now: () => number = () => performance.now()
	) {
		this.samples.push({ t: now(), bytes: 0 });
	}

	add(bytes: number): void {
		this.done += bytes;
		const t = this.now();
		this.samples.push({ t, bytes: this.done });
		while (this.samples.length > 2 && t - this.samples[0]!.t > WINDOW_MS) this.samples.shift();
		if (this.done >= this.total || t - this.reportedAt >= REPORT_INTERVAL_MS) this.report();
		// A count held back must still be told if nothing follows it (a download waiting on a part
		// the sender has not uploaded yet would show a stale count for as long as it waits).
		else
			this.trailing ??= setTimeout(() => {
				this.trailing = undefined;
				if (this.reportedAt < t) this.report();
			}, REPORT_INTERVAL_MS);
	}

	/** Tells the listener now, e.g. before waiting, so that it does not show a stale count meanwhile. */
	report(): void {
		this.reportedAt = this.now();
		this.listener(this.snapshot());
	}

	snapshot(): Progress {
		const first = this.samples[0]!;
		const last = this.samples[this.samples.length - 1]!;
		const elapsed = (last.t - first.t) / 1000;
		const bytesPerSecond = elapsed >= 0.25 ? Math.max(0, (last.bytes - first.bytes) / elapsed) : 0;
		const left = this.total - this.done;
		return {
			done: this.done,
			total: this.total,
			bytesPerSecond,
			secondsLeft: left <= 0 ? 0 : bytesPerSecond > 0 ? left / bytesPerSecond : null
		};
	}
}
