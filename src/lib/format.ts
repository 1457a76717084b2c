import { getLocale } from './paraglide/runtime.js';

// Every number a person reads goes through Intl for the current language: its digits, decimal
// separator, unit names and word order ("1,5 MB", "1,5 Mo", "in 3 Stunden", "٣ ساعات").

/**
 * The tag Intl formats for: the browser's own preference when it is of the chosen language (so
 * en-GB reads "29 Nov", en-US "Nov 29", ar-EG Arabic-Indic digits), else the chosen language.
 */
function intlLocale(): string {
	const language = getLocale();
	const preferred = typeof navigator === 'undefined' ? [] : (navigator.languages ?? []);
	return preferred.find((tag) => tag.split('-')[0]?.toLowerCase() === language) ?? language;
}

const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** Bytes as a person reads them (decimal units, as file managers show). */
export function formatBytes(bytes: number): string {
	return bytesIn(bytes, '');
}

/** `bytes` in the largest unit that keeps it at 1 or more; `per` '-per-second' makes it a speed. */
function bytesIn(bytes: number, per: '' | '-per-second'): string {
	let value = bytes;
	let unit = 0;
	while (value >= 1000 && unit < UNITS.length - 1) {
		value /= 1000;
		unit++;
	}
	const digits = unit === 0 ? 0 : value < 10 ? 1 : 0;
	return new Intl.NumberFormat(intlLocale(), {
		style: 'unit',
		unit: `${UNITS[unit]}${per}`,
		// "500 bytes", "500 octets": the short form of a bare byte ("500 byte") reads as a typo.
		unitDisplay: unit === 0 ? 'long' : 'short',
		minimumFractionDigits: digits,
		maximumFractionDigits: digits
	}).format(digits === 0 ? Math.round(value) : value);
}

type Unit = 'second' | 'minute' | 'hour' | 'day';

/** The unit and rounded count a duration reads best in. */
function durationParts(seconds: number): [number, Unit] {
	if (seconds < 59.5) return [Math.max(1, Math.round(seconds)), 'second'];
	// Thresholds at the rounding points, so 59 min 59 s reads "1 hour", not "60 min".
	if (seconds < 3570) return [Math.round(seconds / 60), 'minute'];
	if (seconds < 84600) return [Math.round(seconds / 3600), 'hour'];
	return [Math.round(seconds / 86400), 'day'];
}

export function formatDuration(seconds: number): string {
	const [count, unit] = durationParts(seconds);
	return new Intl.NumberFormat(intlLocale(), { style: 'unit', unit, unitDisplay: 'long' }).format(count);
}

export function formatSpeed(bytesPerSecond: number): string {
	return bytesIn(bytesPerSecond, '-per-second');
}

/** "in 3 hours" style, relative to now. */
export function formatUntil(epochMs: number, now = Date.now()): string {
	const seconds = (epochMs - now) / 1000;
	if (seconds <= 0) return new Intl.RelativeTimeFormat(intlLocale(), { numeric: 'auto' }).format(0, 'second');
	const [count, unit] = durationParts(seconds);
	return new Intl.RelativeTimeFormat(intlLocale(), { numeric: 'always' }).format(count, unit);
}

/** A moment as a local date and time ("29 Nov 2026, 18:04"), for expiry and start times. */
export function formatDate(epochMs: number): string {
	return new Intl.DateTimeFormat(intlLocale(), { dateStyle: 'medium', timeStyle: 'short' }).format(epochMs);
}

/** A whole number, with the locale's digits and grouping. */
export function formatNumber(n: number): string {
	return new Intl.NumberFormat(getLocale()).format(n);
}

/** A share of a whole (0 to 1) as a percentage, floored so that 100 % means done. */
export function formatPercent(fraction: number): string {
	return new Intl.NumberFormat(intlLocale(), { style: 'percent', maximumFractionDigits: 0 }).format(Math.floor(fraction * 100) / 100);
}
