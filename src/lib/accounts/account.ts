import { ApiError, type ApiClient } from '$lib/api/client';
import type { AccountInfo } from '$lib/api/types';

/** The logged-in account, or null if nobody is (other failures are thrown). */
export async function currentAccount(api: ApiClient): Promise<AccountInfo | null> {
	try {
		return await api.me();
	} catch (err) {
		if (err instanceof ApiError && err.code === 'LOGIN_REQUIRED') return null;
		throw err;
	}
}

/** The expiry choices an account may use: the server's options up to its maximum. */
export function allowedExpiries(options: number[], account: AccountInfo | null): number[] {
	const max = account?.limits.maxExpiry;
	if (max === null || max === undefined) return options;
	const allowed = options.filter((seconds) => seconds <= max);
	return allowed.length > 0 ? allowed : options.slice(0, 1);
}
