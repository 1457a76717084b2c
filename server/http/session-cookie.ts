import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

/**
 * `__Host-sealdrop_session`: the `__Host-` prefix makes browsers insist on Secure, Path=/ and no
 * Domain, so no other host or path can plant or read it. Always Secure: browsers accept Secure
 * cookies from http://localhost (and 127.0.0.1) for development, and nowhere else over plain
 * http, which is what restricted mode wants (a login must not cross a network in clear).
 */
const NAME = 'sealdrop_session';
export const SESSION_COOKIE = `__Host-${NAME}`;

const ATTRIBUTES = { prefix: 'host', path: '/', secure: true, httpOnly: true, sameSite: 'Strict' } as const;

export function setSessionCookie(c: Context, token: string, maxAgeSeconds: number): void {
	setCookie(c, NAME, token, { ...ATTRIBUTES, maxAge: maxAgeSeconds });
}

export function clearSessionCookie(c: Context): void {
	deleteCookie(c, NAME, ATTRIBUTES);
}

export function readSessionCookie(c: Context): string | undefined {
	return getCookie(c, NAME, 'host');
}
