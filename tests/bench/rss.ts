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
