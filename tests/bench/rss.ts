import { readdirSync, readFileSync } from 'node:fs';

/** Resident set size of one process in bytes, or 0 if it has gone. */
export function rssOf(pid: number): number {
	try {
		const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
		return match ? Number(match[1]) * 1024 : 0;
	} catch {
		return 0;
	}
}

/** Every live descendant of `root` whose command name matches. */
export function descendants(root: number, name: RegExp): number[] {
	const children = new Map<number, number[]>();
	const names = new Map<number, string>();
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			const close = stat.lastIndexOf(')');
			const comm = stat.slice(stat.indexOf('(') + 1, close);
			const ppid = Number(stat.slice(close + 2).split(' ')[1]);
			const pid = Number(entry);
			names.set(pid, comm);
			children.set(ppid, [...(children.get(ppid) ?? []), pid]);
		} catch {
			// The process ended while we looked.
		}
	}
	const found: number[] = [];
	const stack = [...(children.get(root) ?? [])];
	while (stack.length > 0) {
		const pid = stack.pop()!;
		if (name.test(names.get(pid) ?? '')) found.push(pid);
		stack.push(...(children.get(pid) ?? []));
	}
	return found;
}

/** Samples the summed RSS of a changing set of processes and keeps the peak. */
export class PeakSampler {
	peak = 0;
	private timer: NodeJS.Timeout | null = null;

	constructor(private readonly pids: () => number[]) {}

	current(): number {
		return this.pids().reduce((sum, pid) => sum + rssOf(pid), 0);
	}

	start(intervalMs = 100): this {
		this.peak = this.current();
		this.timer = setInterval(() => (this.peak = Math.max(this.peak, this.current())), intervalMs);
		return this;
	}

	stop(): number {
		if (this.timer) clearInterval(this.timer);
		this.timer = null;
		this.peak = Math.max(this.peak, this.current());
		return this.peak;
	}
}

/** CPU seconds (user + system) one process has used so far, or 0 if it has gone. */
export function cpuSecondsOf(pid: number): number {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		// utime and stime, fields 14 and 15 of proc(5), in clock ticks (100 per second on Linux).
		return (Number(fields[11]) + Number(fields[12])) / 100;
	} catch {
		return 0;
	}
}

/**
 * CPU seconds a changing set of processes uses between `start` and `stop`: the sum of each one's
 * use, from where it was at `start` (or 0 for one started since). A process that ends in between
 * loses its share, so measure with the processes that do the work already running.
 */
export class CpuMeter {
	private readonly before = new Map<number, number>();

	constructor(private readonly pids: () => number[]) {}

	start(): this {
		for (const pid of this.pids()) this.before.set(pid, cpuSecondsOf(pid));
		return this;
	}

	stop(): number {
		return this.pids().reduce((sum, pid) => sum + cpuSecondsOf(pid) - (this.before.get(pid) ?? 0), 0);
	}
}
