import { readFile } from 'node:fs/promises';
import type { MiddlewareHandler } from 'hono';
import { ConfigError, type Config } from '../config/schema';

export interface TlsFiles {
	cert: Buffer;
	key: Buffer;
}

/** Reads the certificate and key; a file that cannot be read is named by its variable. */
export async function readTlsFiles(tls: NonNullable<Config['tls']>): Promise<TlsFiles> {
	const read = (path: string, name: string) =>
		readFile(path).catch((error: unknown) => {
			const code = (error as { code?: unknown } | null)?.code;
			throw new ConfigError([`${name}: cannot read ${path} (${typeof code === 'string' ? code : 'error'})`]);
		});
	const [cert, key] = await Promise.all([read(tls.certFile, 'SEALDROP_TLS_CERT'), read(tls.keyFile, 'SEALDROP_TLS_KEY')]);
	return { cert, key };
}

/**
 * Strict-Transport-Security when the server itself speaks HTTPS: browsers then never try plain
 * HTTP for this host, where a link's request could be tampered with. One year, no subdomains
 * (the operator's other hosts are not ours to decide about).
 */
export const HSTS = 'max-age=31536000';

export function hsts(): MiddlewareHandler {
	return async (c, next) => {
		await next();
		c.res.headers.set('Strict-Transport-Security', HSTS);
	};
}
