import type { MiddlewareHandler } from 'hono';

const PERMISSIONS_POLICY = [
	'accelerometer=()',
	'browsing-topics=()',
	'camera=()',
	'display-capture=()',
	'geolocation=()',
	'gyroscope=()',
	'magnetometer=()',
	'microphone=()',
	'payment=()',
	'usb=()'
].join(', ');

/** The hardening headers of every response, with this Content-Security-Policy. */
export function securityHeaderList(csp: string): [string, string][] {
	return [
		['Content-Security-Policy', csp],
		['Referrer-Policy', 'no-referrer'],
		['X-Content-Type-Options', 'nosniff'],
		['Cross-Origin-Opener-Policy', 'same-origin'],
		['Cross-Origin-Resource-Policy', 'same-origin'],
		['X-Frame-Options', 'DENY'],
		['Permissions-Policy', PERMISSIONS_POLICY],
		['Origin-Agent-Cluster', '?1']
	];
}

/** The same hardening headers on every response, API errors included. */
export function securityHeaders(csp: string): MiddlewareHandler {
	const headers = securityHeaderList(csp);
	return async (c, next) => {
		await next();
		for (const [name, value] of headers) c.res.headers.set(name, value);
	};
}
