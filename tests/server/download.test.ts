import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PublicShareInfo } from '../../src/lib/api/types';
import { b64, bearer, claim, createHarness, HOUR, outcome, readyShare, type ClientShare, type Harness } from './helpers';

describe('reading a share', () => {
	let h: Harness;
	let share: ClientShare;
	beforeEach(async () => {
		h = await createHarness();
		share = await readyShare(h, { size: 2500, partSize: 1024, maxDownloads: 2 });
	});
	afterEach(async () => {
		await h.close();
	});

	const info = () => h.api(`/shares/${share.id}`);
	const metadata = (token = share.readToken) => h.api(`/shares/${share.id}/metadata`, { headers: bearer(token) });
	const claimResponse = (token = share.readToken) => h.api(`/shares/${share.id}/claim`, { method: 'POST', headers: bearer(token) });
	const blob = (ticket: string, headers: Record<string, string> = {}, id = share.id) =>
		h.api(`/shares/${id}/blob`, { headers: { ...bearer(ticket), ...headers } });

	it('shows public info without a token and without counting', async () => {
		for (let i = 0; i < 3; i++) {
			const response = await info();
			expect(response.status).toBe(200);
			expect(response.headers.get('cache-control')).toBe('no-store');
			expect(await response.json()).toEqual<PublicShareInfo>({
				id: share.id,
				size: 2500,
				header: b64(share.header),
				createdAt: h.clock.now(),
				expiresAt: h.clock.now() + 86400_000,
				maxDownloads: 2,
				downloads: 0,
				downloadsLeft: 2,
				state: 'ready'
			});
		}
		expect((await h.meta.shares.get(share.id))?.downloads).toBe(0);
	});

	it('gives the sealed metadata for the read token only', async () => {
		const response = await metadata();
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({ metadata: b64(share.metadata) });
		expect(await outcome(await metadata(share.ownerToken))).toBe('403 FORBIDDEN');
		expect(await outcome(await metadata(b64(randomBytes(32))))).toBe('403 FORBIDDEN');
		expect(await outcome(await metadata('@@@'))).toBe('401 UNAUTHORIZED');
		expect(await outcome(await h.api(`/shares/${share.id}/metadata`))).toBe('401 UNAUTHORIZED');
	});

	it('claims a download and serves the ciphertext with its ticket', async () => {
		const first = await claim(h, share);
		expect(first.downloads).toBe(1);
		expect(first.downloadsLeft).toBe(1);
		expect(first.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(first.ticketExpiresAt).toBe(h.clock.now() + h.config.ticketTtl * 1000);
		expect(await (await info()).json()).toMatchObject({ downloads: 1, downloadsLeft: 1 });

		const response = await blob(first.ticket);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('application/octet-stream');
		expect(response.headers.get('accept-ranges')).toBe('bytes');
		expect(response.headers.get('content-length')).toBe('2500');
		expect(response.headers.get('cache-control')).toBe('no-store');
		expect(Buffer.from(await response.arrayBuffer()).equals(share.bytes)).toBe(true);
		// A ticket reads as often as needed (resume).
		expect((await blob(first.ticket)).status).toBe(200);
		expect(h.logs.lines.filter((l) => l.audit === 'share.claim')).toMatchObject([{ shareId: share.id, downloads: 1 }]);
	});

	it('gives a client that claims first the header and metadata, which the last claim makes 410', async () => {
		const one = await claim(h, share);
		const last = await claim(h, share);
		expect(last).toMatchObject({ downloadsLeft: 0, header: b64(share.header), metadata: b64(share.metadata) });
		expect(one).toMatchObject({ header: b64(share.header), metadata: b64(share.metadata) });
		expect(await outcome(await info())).toBe('410 DOWNLOAD_LIMIT_REACHED');
		expect(await outcome(await metadata())).toBe('410 DOWNLOAD_LIMIT_REACHED');
		// The ticket still reads the blob: with the header and metadata kept, the download resumes.
		expect((await blob(last.ticket, { range: 'bytes=1000-' })).status).toBe(206);
	});

	it('counts nothing for a wrong read token', async () => {
		expect(await outcome(await claimResponse(share.ownerToken))).toBe('403 FORBIDDEN');
		expect(await outcome(await claimResponse(b64(randomBytes(16))))).toBe('403 FORBIDDEN');
		expect(await outcome(await h.api(`/shares/${share.id}/claim`, { method: 'POST' }))).toBe('401 UNAUTHORIZED');
		expect((await h.meta.shares.get(share.id))?.downloads).toBe(0);
	});

	describe('Range', () => {
		let ticket: string;
		beforeEach(async () => {
			ticket = (await claim(h, share)).ticket;
		});
		const ranged = async (range: string) => {
			const response = await blob(ticket, { range });
			return { response, bytes: Buffer.from(await response.arrayBuffer()) };
		};

		for (const [range, start, end] of [
			['bytes=0-99', 0, 100],
			['bytes=1000-1100', 1000, 1101], // across the part boundary at 1024
			['bytes=1020-2060', 1020, 2061], // across two boundaries
			['bytes=2048-', 2048, 2500],
			['bytes=-10', 2490, 2500],
			['bytes=-99999', 0, 2500],
			['bytes=2400-99999', 2400, 2500]
		] as const) {
			it(`${range} → 206 bytes ${start}-${end - 1}`, async () => {
				const { response, bytes } = await ranged(range);
				expect(response.status).toBe(206);
				expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end - 1}/2500`);
				expect(response.headers.get('content-length')).toBe(String(end - start));
				expect(bytes.equals(share.bytes.subarray(start, end))).toBe(true);
			});
		}

		for (const range of ['bytes=2500-', 'bytes=3000-4000', 'bytes=-0', 'bytes=0-1,5-6']) {
			it(`${range} → 416 with Content-Range`, async () => {
				const { response } = await ranged(range);
				expect(response.status).toBe(416);
				expect(response.headers.get('content-range')).toBe('bytes */2500');
				expect(response.headers.get('content-type')).toContain('application/json');
			});
		}

		for (const range of ['bytes=abc', 'bytes=9-3', 'pages=1-2', 'bytes 0-1']) {
			it(`malformed ${range} → 200 whole blob`, async () => {
				const { response, bytes } = await ranged(range);
				expect(response.status).toBe(200);
				expect(response.headers.get('content-range')).toBeNull();
				expect(bytes.equals(share.bytes)).toBe(true);
			});
		}
	});

	it('refuses the blob without a valid ticket for this share', async () => {
		const other = await readyShare(h, { size: 100, partSize: 1024 });
		const otherTicket = (await claim(h, other)).ticket;
		expect(await outcome(await h.api(`/shares/${share.id}/blob`))).toBe('401 UNAUTHORIZED');
		expect(await outcome(await blob(b64(randomBytes(32))))).toBe('403 TICKET_INVALID');
		expect(await outcome(await blob('not-a-ticket'))).toBe('403 TICKET_INVALID');
		expect(await outcome(await blob(share.readToken))).toBe('403 TICKET_INVALID');
		expect(await outcome(await blob(otherTicket))).toBe('403 TICKET_INVALID');
		expect((await blob(otherTicket, {}, other.id)).status).toBe(200);
	});

	it('lets a ticket expire after its TTL', async () => {
		const { ticket, ticketExpiresAt } = await claim(h, share);
		h.clock.t = ticketExpiresAt - 1;
		expect((await blob(ticket)).status).toBe(200);
		h.clock.t = ticketExpiresAt;
		expect(await outcome(await blob(ticket))).toBe('403 TICKET_INVALID');
	});

	it('answers 410 EXPIRED everywhere once the share expired, even to a live ticket', async () => {
		const { ticket, ticketExpiresAt } = await claim(h, share);
		// A ticket never outlives its share's expiry.
		const expiresAt = h.clock.now() + 86400_000;
		expect(ticketExpiresAt).toBeLessThanOrEqual(expiresAt);
		h.clock.t = expiresAt;
		expect(await outcome(await info())).toBe('410 EXPIRED');
		expect(await outcome(await metadata())).toBe('410 EXPIRED');
		expect(await outcome(await claimResponse())).toBe('410 EXPIRED');
		expect(await outcome(await blob(ticket))).toBe('410 EXPIRED');
		expect((await h.meta.shares.get(share.id))?.downloads).toBe(1);
	});

	it('caps a ticket at the share expiry', async () => {
		const expiresAt = h.clock.now() + 86400_000;
		h.clock.t = expiresAt - HOUR;
		const { ticketExpiresAt } = await claim(h, share);
		expect(ticketExpiresAt).toBe(expiresAt);
	});

	it('answers 410 DOWNLOAD_LIMIT_REACHED when spent, while issued tickets still read until their TTL', async () => {
		const first = await claim(h, share);
		h.clock.advance(HOUR);
		const second = await claim(h, share);
		expect(second).toMatchObject({ downloads: 2, downloadsLeft: 0 });

		expect(await outcome(await info())).toBe('410 DOWNLOAD_LIMIT_REACHED');
		expect(await outcome(await metadata())).toBe('410 DOWNLOAD_LIMIT_REACHED');
		expect(await outcome(await claimResponse())).toBe('410 DOWNLOAD_LIMIT_REACHED');
		expect((await h.meta.shares.get(share.id))?.downloads).toBe(2);

		expect((await blob(first.ticket)).status).toBe(200);
		expect((await blob(second.ticket, { range: 'bytes=-5' })).status).toBe(206);
		h.clock.t = first.ticketExpiresAt;
		expect(await outcome(await blob(first.ticket))).toBe('403 TICKET_INVALID');
		expect((await blob(second.ticket)).status).toBe(200);
		h.clock.t = second.ticketExpiresAt;
		expect(await outcome(await blob(second.ticket))).toBe('403 TICKET_INVALID');
	});

	it('answers 410 DELETED once the owner deleted it, and ends its tickets', async () => {
		const { ticket } = await claim(h, share);
		expect(await outcome(await h.api(`/shares/${share.id}`, { method: 'DELETE', headers: bearer(share.readToken) }))).toBe('403 FORBIDDEN');
		expect(await outcome(await h.api(`/shares/${share.id}`, { method: 'DELETE' }))).toBe('401 UNAUTHORIZED');
		const deleted = await h.api(`/shares/${share.id}`, { method: 'DELETE', headers: bearer(share.ownerToken) });
		expect(deleted.status).toBe(204);
		expect(await deleted.text()).toBe('');
		expect(h.logs.lines.filter((l) => l.audit === 'share.delete')).toMatchObject([{ shareId: share.id, was: 'ready' }]);

		expect(await outcome(await info())).toBe('410 DELETED');
		expect(await outcome(await metadata())).toBe('410 DELETED');
		expect(await outcome(await claimResponse())).toBe('410 DELETED');
		expect(await outcome(await blob(ticket))).toBe('410 DELETED');
		expect(await outcome(await h.api(`/shares/${share.id}`, { method: 'DELETE', headers: bearer(share.ownerToken) }))).toBe('410 DELETED');
		const row = await h.meta.shares.get(share.id);
		expect(row).toMatchObject({
			state: 'deleted',
			header: null,
			metadata: null,
			readTokenHash: null,
			ownerTokenHash: null,
			blobGone: true
		});
		expect(await h.blobs.size?.(share.id)).toBeUndefined();
	});

	it('answers 404 for unknown ids and 400 for malformed ones, on every endpoint', async () => {
		const unknown = 'A'.repeat(22);
		const token = bearer(share.ownerToken);
		const calls: [string, RequestInit][] = [
			['', {}],
			['/metadata', { headers: token }],
			['/claim', { method: 'POST', headers: token }],
			['/blob', { headers: token }],
			['', { method: 'DELETE', headers: token }],
			['/parts', { headers: token }],
			['/complete', { method: 'POST', headers: token }]
		];
		for (const [suffix, init] of calls) {
			expect(await outcome(await h.api(`/shares/${unknown}${suffix}`, init)), suffix).toBe('404 NOT_FOUND');
			for (const bad of ['A'.repeat(21), 'A'.repeat(23), `${'A'.repeat(21)}%2B`, `${'A'.repeat(21)}.`]) {
				expect(await outcome(await h.api(`/shares/${bad}${suffix}`, init)), `${bad}${suffix}`).toBe('400 INVALID_ID');
			}
		}
	});

	it('answers 404 JSON for an unknown endpoint', async () => {
		for (const path of ['/nope', `/shares/${share.id}/nope`, '/shares']) {
			const response = await h.api(path);
			expect(await outcome(response), path).toBe('404 NOT_FOUND');
		}
		const other = await h.app.request('/api/v2/config');
		expect(other.status).toBe(404);
		expect(other.headers.get('cache-control')).toBe('no-store');
	});
});
