import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256 } from './helpers';
import { bearer, claim, createHarness, readyShare } from './helpers';

/** Every byte the server wrote to its database files (main file, WAL, shared memory). */
async function databaseBytes(dataDir: string): Promise<Buffer> {
	const names = (await readdir(dataDir)).filter((name) => name.startsWith('sealdrop.sqlite'));
	expect(names).toContain('sealdrop.sqlite');
	return Buffer.concat(await Promise.all(names.map((name) => readFile(join(dataDir, name)))));
}

describe('storage', () => {
	it('never holds a token, read token or ticket in clear — only their hashes', async () => {
		const h = await createHarness();
		try {
			const share = await readyShare(h, { maxDownloads: 2 });
			const { ticket } = await claim(h, share);
			await h.api(`/shares/${share.id}/blob`, { headers: bearer(ticket) });
			await h.api(`/shares/${share.id}/metadata`, { headers: bearer(share.readToken) });

			const stored = await databaseBytes(h.config.dataDir);
			const secrets = { ownerToken: share.ownerToken, readToken: share.readToken, ticket };
			for (const [name, token] of Object.entries(secrets)) {
				const raw = Buffer.from(token, 'base64url');
				expect(stored.includes(Buffer.from(token)), `${name} as text`).toBe(false);
				expect(stored.includes(raw), `${name} as bytes`).toBe(false);
				expect(h.logs.text().includes(token), `${name} in logs`).toBe(false);
			}
			// The search does find what is stored: the hashes and the client's bytes.
			expect(stored.includes(sha256(Buffer.from(share.ownerToken, 'base64url')))).toBe(true);
			expect(stored.includes(sha256(Buffer.from(ticket, 'base64url')))).toBe(true);
			expect(stored.includes(share.metadata)).toBe(true);
			expect(h.logs.text().includes(share.metadata.toString('base64url'))).toBe(false);
		} finally {
			await h.close();
		}
	});
});
