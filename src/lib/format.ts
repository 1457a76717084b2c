const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Bytes as a person reads them (decimal units, as file managers show). */
export function formatBytes(bytes: number): string {
	let value = bytes;
	let unit = 0;
	while (value >= 1000 && unit < UNITS.length - 1) {
		value /= 1000;
		unit++;
	}
	return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

export function formatDuration(seconds: number): string {
	if (seconds < 59.5) return `${Math.max(1, Math.round(seconds))} s`;
	// Thresholds at the rounding points, so 59 min 59 s reads "1 hour", not "60 min".
	if (seconds < 3570) return `${Math.round(seconds / 60)} min`;
	if (seconds < 84600) {
		const h = Math.round(seconds / 3600);
		return `${h} hour${h === 1 ? '' : 's'}`;
	}
	const d = Math.round(seconds / 86400);
	return `${d} day${d === 1 ? '' : 's'}`;
}

export function formatSpeed(bytesPerSecond: number): string {
	return `${formatBytes(bytesPerSecond)}/s`;
}

/** "in 3 hours" style, relative to now. */
export function formatUntil(epochMs: number, now = Date.now()): string {
	const seconds = (epochMs - now) / 1000;
	return seconds <= 0 ? 'now' : `in ${formatDuration(seconds)}`;
}
