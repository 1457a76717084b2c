import { isIP } from 'node:net';
import { addressKey, socketAddress, type ClientAddress } from './client-address';

/**
 * The client behind `hops` trusted reverse proxies (SEALDROP_TRUST_PROXY). Each proxy appends
 * the address it received the request from to X-Forwarded-For, so counting from the right, the
 * entry added by the outermost trusted proxy is the client; everything left of it was written by
 * the client and can be forged. With too few entries the request did not pass through every
 * proxy, and the left-most entry (or the TCP peer) is the best we know.
 */
export function forwardedAddress(hops: number): ClientAddress {
	return (c) => {
		const header = c.req.header('x-forwarded-for');
		if (!header) return socketAddress(c);
		const entries = header
			.split(',')
			.map((entry) => entry.trim())
			.filter((entry) => entry !== '');
		const picked = entries[Math.max(0, entries.length - hops)];
		return picked !== undefined && isIP(picked) !== 0 ? addressKey(picked) : socketAddress(c);
	};
}
