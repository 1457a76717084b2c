import type { RequestOrigin } from './credentials';
import { crossOrigin } from './errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF defence for requests a browser authenticates with the session cookie (and for login),
 * on top of SameSite=Strict: a state-changing request must say it comes from this origin.
 * Browsers send Sec-Fetch-Site (all current ones) or at least Origin on every POST, PUT,
 * PATCH and DELETE; a request with neither is not from a browser page and must use a bearer
 * token instead. Behind a proxy the Origin fallback compares hosts, or SEALDROP_PUBLIC_URL.
 */
export function assertSameOrigin(request: RequestOrigin, publicUrl: string | undefined): void {
	if (SAFE_METHODS.has(request.method)) return;
	const site = request.secFetchSite;
	if (site !== undefined) {
		if (site !== 'same-origin') throw crossOrigin();
		return;
	}
	const origin = request.origin;
	if (origin === undefined || origin === 'null') throw crossOrigin();
	let parsed: URL;
	try {
		parsed = new URL(origin);
	} catch {
		throw crossOrigin();
	}
	if (publicUrl !== undefined && parsed.origin === new URL(publicUrl).origin) return;
	const host = request.host;
	if (publicUrl === undefined && host !== undefined && parsed.host === host.toLowerCase()) return;
	throw crossOrigin();
}
