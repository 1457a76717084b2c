/**
 * The share link (docs/FORMAT.md §1): `<origin>/s/<id>#<key>`. The key rides in the fragment,
 * which browsers never send to a server. This module is the one place that builds and reads it,
 * whole or in two halves (the link without its key, and the key, sent through different channels).
 */

/** Where a share's page lives on its server. */
export const SHARE_PATH_PREFIX = '/s/';

/** The link without its key: what the recipient opens when the key travels separately. */
export function bareLink(origin: string, id: string): string {
	return `${origin.replace(/\/$/, '')}${SHARE_PATH_PREFIX}${id}`;
}

/** The whole link: opening it is all a recipient needs (with the password, if there is one). */
export function shareLink(origin: string, id: string, key: string): string {
	return `${bareLink(origin, id)}#${key}`;
}

/** The two halves of a link sent apart; `link` + "#" + `key` is the whole link. */
export function splitLink(origin: string, id: string, key: string): { link: string; key: string } {
	return { link: bareLink(origin, id), key };
}

/** The key in a page's fragment (`location.hash`), "" if the link came without it. */
export function keyFromHash(hash: string): string {
	return hash.startsWith('#') ? hash.slice(1) : hash;
}

/**
 * The key typed or pasted by a recipient: the key alone, or a whole link (everything after its
 * first "#"). "" if there is nothing. The key itself is checked later, where it is decoded.
 */
export function keyFromInput(text: string): string {
	const trimmed = text.trim();
	const hash = trimmed.indexOf('#');
	return hash === -1 ? trimmed : trimmed.slice(hash + 1);
}

/** The share id and key of a whole link; null if it is not a share link. */
export function parseShareLink(link: string): { id: string; key: string } | null {
	let url: URL;
	try {
		url = new URL(link);
	} catch {
		return null;
	}
	if (!url.pathname.startsWith(SHARE_PATH_PREFIX)) return null;
	const id = url.pathname.slice(SHARE_PATH_PREFIX.length);
	if (id === '' || id.includes('/')) return null;
	return { id, key: keyFromHash(url.hash) };
}

/** Where a file request's page lives (docs/FORMAT.md §11): `<origin>/r/<id>#<rs>`. */
export const REQUEST_PATH_PREFIX = '/r/';

/**
 * The request id and rs of a whole request link; null if it is not one. rs rides in the
 * fragment, as a share's key does, and is checked where it is decoded ("" if it is missing).
 */
export function parseRequestLink(link: string): { id: string; secret: string } | null {
	let url: URL;
	try {
		url = new URL(link);
	} catch {
		return null;
	}
	if (!url.pathname.startsWith(REQUEST_PATH_PREFIX)) return null;
	const id = url.pathname.slice(REQUEST_PATH_PREFIX.length).replace(/\/$/, '');
	if (id === '' || id.includes('/')) return null;
	return { id, secret: keyFromHash(url.hash) };
}
