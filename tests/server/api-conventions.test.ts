import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
	asBody,
	bearer,
	claim,
	completeShare,
	createHarness,
	createShare,
	jsonInit,
	outcome,
	readyShare,
	type ClientShare,
	type Harness
} from './helpers';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The same 32 bytes spelled with one of the 2 unused low bits set: a lenient decoder (Node's
 * Buffer among them) reads it as the token itself, so the server must refuse it by its text.
 */
function nonCanonical(token: string): string {
	const last = ALPHABET.indexOf(token.slice(-1));
	const other = `${token.slice(0, -1)}${ALPHABET[last ^ 1]}`;
	expect(Buffer.from(other, 'base64url').equals(Buffer.from(token, 'base64url'))).toBe(true);
	return other;
}

/** API.md "Conventions": token spelling and the order of checks, as documented. */
describe('API conventions', () => {
	let h: Harness;
	let share: ClientShare;
	beforeEach(async () => {
		h = await createHarness();
		share = await readyShare(h, { size: 2500, partSize: 1024, maxDownloads: 5 });
	});
	afterEach(async () => {
		await h.close();
	});

	it('refuses a right token that is not canonical base64url (unused bits set, padding)', async () => {
		const metadata = (token: string) => h.api(`/shares/${share.id}/metadata`, { headers: bearer(token) });
		expect(await outcome(await metadata(share.readToken))).toBe('200');
		for (const token of [nonCanonical(share.readToken), `${share.readToken}=`]) {
			expect(await outcome(await metadata(token)), token).toBe('403 FORBIDDEN');
			const claimed = await h.api(`/shares/${share.id}/claim`, { method: 'POST', headers: bearer(token) });
			expect(await outcome(claimed), token).toBe('403 FORBIDDEN');
		}

		const { ticket } = await claim(h, share);
		const blob = (token: string) => h.api(`/shares/${share.id}/blob`, { headers: bearer(token) });
		expect(await outcome(await blob(nonCanonical(ticket)))).toBe('403 TICKET_INVALID');
		expect(await outcome(await blob(`${ticket}=`))).toBe('403 TICKET_INVALID');
		expect(await outcome(await blob(ticket))).toBe('200');

		const owner = nonCanonical(share.ownerToken);
		expect(await outcome(await h.api(`/shares/${share.id}`, jsonInit('PATCH', { maxDownloads: 10 }, bearer(owner))))).toBe('403 FORBIDDEN');
		expect(await outcome(await h.api(`/shares/${share.id}`, { method: 'DELETE', headers: bearer(owner) }))).toBe('403 FORBIDDEN');
		expect(await outcome(await h.api(`/shares/${share.id}`))).toBe('200');
	});

	it('answers 404 for an unknown id whatever the bearer value, and 401 for a header that is not a bearer', async () => {
		const unknown = 'B'.repeat(22);
		const calls: [string, RequestInit][] = [
			['/metadata', {}],
			['/claim', { method: 'POST' }],
			['/blob', {}],
			['', { method: 'DELETE' }],
			['', { ...jsonInit('PATCH', { maxDownloads: 5 }) }],
			['/parts', {}],
			['/parts/0', { method: 'PUT', body: asBody(new Uint8Array(10)) }],
			['/complete', { method: 'POST' }]
		];
		for (const [suffix, init] of calls) {
			for (const token of ['x', 'not-a-token', nonCanonical(share.readToken), `${share.ownerToken}=`, share.ownerToken]) {
				const headers = { ...(init.headers as Record<string, string>), ...bearer(token) };
				expect(await outcome(await h.api(`/shares/${unknown}${suffix}`, { ...init, headers })), `${suffix} ${token}`).toBe('404 NOT_FOUND');
			}
			const basic = { ...(init.headers as Record<string, string>), authorization: 'Basic dXNlcjpwYXNz' };
			expect(await outcome(await h.api(`/shares/${unknown}${suffix}`, { ...init, headers: basic })), suffix).toBe('401 UNAUTHORIZED');
		}
	});

	it('takes a part with any content type, as raw bytes', async () => {
		const fresh = await createShare(h, { size: 2500, partSize: 1024 });
		const types = ['application/json', 'text/plain; charset=utf-8', 'multipart/form-data; boundary=x'];
		for (const [n, type] of types.entries()) {
			const bytes = fresh.bytes.subarray(n * 1024, Math.min(2500, (n + 1) * 1024));
			const put = await h.api(`/shares/${fresh.id}/parts/${n}`, {
				method: 'PUT',
				body: asBody(bytes),
				headers: { ...bearer(fresh.ownerToken), 'content-type': type }
			});
			expect(put.status, type).toBe(200);
			expect(await put.json()).toEqual({ n, size: bytes.length });
		}
		expect(await outcome(await completeShare(h, fresh))).toBe('200');
		const { ticket } = await claim(h, fresh);
		const blob = await h.api(`/shares/${fresh.id}/blob`, { headers: bearer(ticket) });
		expect(Buffer.from(await blob.arrayBuffer()).equals(fresh.bytes)).toBe(true);
	});
});
