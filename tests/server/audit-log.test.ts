import { afterEach, describe, expect, it } from 'vitest';
import { b64, bearer, claim, createHarness, readyShare, sha256, type Harness } from './helpers';

const FILE_NAME = 'Quarterly-Salaries-CONFIDENTIAL.xlsx';

/** Every form a secret could take in a log line: as sent, base64, base64url, hex. */
function forms(value: string | Buffer): string[] {
	const bytes = typeof value === 'string' ? Buffer.from(value, 'base64url') : value;
	const all = [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')];
	if (typeof value === 'string') all.push(value);
	// A prefix catches a value cut short or split across fields.
	return all.flatMap((form) => [form, form.slice(0, 16)]);
}

describe('audit log of a share’s life', () => {
	let h: Harness;
	afterEach(() => h?.close());

	it('has one line per create, complete, claim and delete, and no secret or file name', async () => {
		h = await createHarness();
		// Stands in for sealed metadata; the server must treat it as opaque bytes.
		const metadata = Buffer.from(JSON.stringify({ files: [{ name: FILE_NAME, size: 3000 }] }).padEnd(256, ' '));
		const share = await readyShare(h, { size: 3000, partSize: 1024, maxDownloads: 2, metadata });
		const { ticket } = await claim(h, share);
		const blob = await h.api(`/shares/${share.id}/blob`, { headers: bearer(ticket) });
		expect(blob.status).toBe(200);
		await blob.arrayBuffer();
		// A wrong token and a wrong ticket must not end up in the log either.
		expect((await h.api(`/shares/${share.id}/claim`, { method: 'POST', headers: bearer('d3JvbmctcmVhZC10b2tlbi1hYWFh') })).status).toBe(
			403
		);
		expect((await h.api(`/shares/${share.id}/blob`, { headers: bearer('d3JvbmctdGlja2V0LWJiYmJi') })).status).toBe(403);
		expect((await h.api(`/shares/${share.id}`, { method: 'DELETE', headers: bearer(share.ownerToken) })).status).toBe(204);

		const audit = h.logs.lines.filter((line) => typeof line.audit === 'string');
		expect(audit.map((line) => line.audit)).toEqual(['share.create', 'share.complete', 'share.claim', 'share.delete']);
		for (const line of audit) {
			expect(line.shareId).toBe(share.id);
			expect(line.level).toBe(30);
		}
		expect(audit[2]).toMatchObject({ downloads: 1, maxDownloads: 2 });

		const log = h.logs.text();
		const secrets: [string, string[]][] = [
			['owner token', forms(share.ownerToken)],
			['read token', forms(share.readToken)],
			['owner token hash', forms(sha256(Buffer.from(share.ownerToken, 'base64url')))],
			['read token hash', forms(sha256(Buffer.from(share.readToken, 'base64url')))],
			['ticket', forms(ticket)],
			['wrong token', ['d3JvbmctcmVhZC10b2tlbi1hYWFh']],
			['wrong ticket', ['d3JvbmctdGlja2V0LWJiYmJi']],
			['header', forms(share.header)],
			['metadata', forms(share.metadata)],
			['file name', [FILE_NAME, FILE_NAME.toLowerCase(), b64(Buffer.from(FILE_NAME))]]
		];
		for (const [what, values] of secrets) {
			for (const value of values) expect(log, `the log contains the ${what}`).not.toContain(value);
		}
	});
});
