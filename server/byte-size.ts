// The one parser of byte sizes written by an operator: settings (server/config/schema.ts) and the user
// command (server/cli/user.ts). Pure and import-free, so either may use it.

/** Binary units, lower-case: a size is a whole number of bytes, optionally followed by one. */
const UNITS: Record<string, number> = { '': 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

const SIZE = /^(\d+)\s*(kib|mib|gib|tib)?$/i;

/**
 * `1048576`, `512MiB`, `10 GiB` (any case, spaces around) → bytes; null if not of that form.
 * The value is not range-checked: a huge one comes back beyond Number.MAX_SAFE_INTEGER (or
 * Infinity) for the caller's bounds to refuse.
 */
export function parseByteSize(text: string): number | null {
	const match = SIZE.exec(text.trim());
	if (!match) return null;
	return Number(match[1]) * UNITS[(match[2] ?? '').toLowerCase()]!;
}
