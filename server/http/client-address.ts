import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/** Who is asking, for rate limits only (never logged): an address or a network prefix. */
export type ClientAddress = (c: Context) => string | undefined;

/**
 * The TCP peer of the request (@hono/node-server puts the Node request in `c.env.incoming`).
 * Forwarding headers are not trusted: anyone can send them. IPv6 clients are grouped by /64,
 * since one host usually holds a whole /64 and could otherwise rotate addresses at will.
 */
export const socketAddress: ClientAddress = (c) => {
	const env = c.env as { incoming?: IncomingMessage } | undefined;
	const address = env?.incoming?.socket?.remoteAddress;
	return address === undefined ? undefined : addressKey(address);
};

export function addressKey(address: string): string {
	const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
	if (mapped) return mapped[1]!;
	if (!address.includes(':')) return address;
	return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, expanded and lower-case (zone id dropped). */
function ipv6Groups(address: string): string[] {
	const [head = '', tail] = address.split('%')[0]!.toLowerCase().split('::');
	const left = head ? head.split(':') : [];
	const right = tail ? tail.split(':') : [];
	const zeros = tail === undefined ? [] : Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0');
	return [...left, ...zeros, ...right].map((group) => group.replace(/^0+(?=.)/, ''));
}
