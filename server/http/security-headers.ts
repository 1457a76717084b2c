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

/** The same hardening headers on every response, API errors included. */
export function securityHeaders(csp: string): MiddlewareHandler {
	const headers: [string, string][] = [
		['Content-Security-Policy', csp],
		['Referrer-Policy', 'no-referrer'],
		['X-Content-Type-Options', 'nosniff'],
		['Cross-Origin-Opener-Policy', 'same-origin'],
		['Cross-Origin-Resource-Policy', 'same-origin'],
		['X-Frame-Options', 'DENY'],
		['Permissions-Policy', PERMISSIONS_POLICY],
		['Origin-Agent-Cluster', '?1']
	];
	return async (c, next) => {
		await next();
		for (const [name, value] of headers) c.res.headers.set(name, value);
	};
}
