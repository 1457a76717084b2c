import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PublicShareInfo, UpdateShareResponse } from '../../src/lib/api/types';
import {
	b64,
	bearer,
	claim,
	createShare,
	DAY,
	HOUR,
	jsonInit,
	outcome,
	readyShare,
	createHarness,
	type ClientShare,
	type Harness
} from './helpers';

describe('PATCH /shares/:id (owner changes expiry and limit)', () => {
	let h: Harness;
	let share: ClientShare;
	beforeEach(async () => {
		h = await createHarness();
		share = await readyShare(h, { expiresIn: 3600, maxDownloads: 1 });
	});
	afterEach(async () => {
		await h.close();
	});

	const patch = (body: unknown, token = share.ownerToken, id = share.id) => h.api(`/shares/${id}`, jsonInit('PATCH', body, bearer(token)));
	const info = async (): Promise<PublicShareInfo> => (await (await h.api(`/shares/${share.id}`)).json()) as PublicShareInfo;

	it('extends the expiry, counted from now, and the recipient sees it', async () => {
		h.clock.advance(30 * 60_000);
		const response = await patch({ expiresIn: 604800 });
		expect(response.status).toBe(200);
		const body = (await response.json()) as UpdateShareResponse;
		expect(body).toEqual({ id: share.id, expiresAt: h.clock.now() + 7 * DAY, maxDownloads: 1, downloads: 0, downloadsLeft: 1 });
		expect((await info()).expiresAt).toBe(h.clock.now() + 7 * DAY);
		// Past the old expiry the share is still served.
		h.clock.advance(2 * HOUR);
		expect((await h.api(`/shares/${share.id}`)).status).toBe(200);
		expect(h.logs.lines.filter((l) => l.audit === 'share.update')).toMatchObject([{ shareId: share.id, maxDownloads: 1 }]);
	});

	it('raises the download limit, also after the last download was used', async () => {
		await claim(h, share);
		expect(await outcome(await h.api(`/shares/${share.id}`))).toBe('410 DOWNLOAD_LIMIT_REACHED');
		const response = await patch({ maxDownloads: 5 });
		expect(await response.json()).toMatchObject({ maxDownloads: 5, downloads: 1, downloadsLeft: 4 });
		expect(await info()).toMatchObject({ maxDownloads: 5, downloads: 1, downloadsLeft: 4 });
		expect((await claim(h, share)).downloadsLeft).toBe(3);
	});

	it('changes both at once; refuses a limit below the downloads already used', async () => {
		const five = await readyShare(h, { maxDownloads: 5 });
		await claim(h, five);
		await claim(h, five);
		const both = await patch({ expiresIn: 300, maxDownloads: 2 }, five.ownerToken, five.id);
		expect(await both.json()).toMatchObject({ expiresAt: h.clock.now() + 300_000, maxDownloads: 2, downloadsLeft: 0 });
		const lower = await patch({ maxDownloads: 1 }, five.ownerToken, five.id);
		expect(await outcome(lower.clone())).toBe('400 INVALID_REQUEST');
		expect(((await lower.json()) as { error: { details: unknown } }).error.details).toEqual({ field: 'maxDownloads' });
	});

	it('accepts only the server’s options and a well-formed body', async () => {
		expect(await outcome(await patch({ expiresIn: 1234 }))).toBe('400 INVALID_REQUEST');
		expect(await outcome(await patch({ maxDownloads: 3 }))).toBe('400 INVALID_REQUEST');
		expect(await outcome(await patch({}))).toBe('400 INVALID_REQUEST');
		expect(await outcome(await patch({ expiresIn: '3600' }))).toBe('400 INVALID_REQUEST');
		expect(await outcome(await patch({ expiresIn: 3600, size: 1 }))).toBe('400 INVALID_REQUEST');
		const text = await h.api(`/shares/${share.id}`, { method: 'PATCH', body: '{}', headers: bearer(share.ownerToken) });
		expect(await outcome(text)).toBe('415 UNSUPPORTED_MEDIA_TYPE');
		expect((await info()).maxDownloads).toBe(1);
	});

	it('needs the owner token', async () => {
		expect(await outcome(await patch({ maxDownloads: 5 }, share.readToken))).toBe('403 FORBIDDEN');
		expect(await outcome(await patch({ maxDownloads: 5 }, b64(randomBytes(32))))).toBe('403 FORBIDDEN');
		expect(await outcome(await h.api(`/shares/${share.id}`, jsonInit('PATCH', { maxDownloads: 5 })))).toBe('401 UNAUTHORIZED');
		expect(await outcome(await patch({ maxDownloads: 5 }, share.ownerToken, 'AAAAAAAAAAAAAAAAAAAAAA'))).toBe('404 NOT_FOUND');
		expect(await outcome(await patch({ maxDownloads: 5 }, share.ownerToken, 'bad'))).toBe('400 INVALID_ID');
	});

	it('checks the id and the owner token before the body, whose limit fits a PATCH', async () => {
		const send = (body: string, type: string, token = share.ownerToken, id = share.id) =>
			h.api(`/shares/${id}`, { method: 'PATCH', body, headers: { ...bearer(token), 'content-type': type } });
		expect(await outcome(await send('{', 'text/plain', share.ownerToken, 'AAAAAAAAAAAAAAAAAAAAAA'))).toBe('404 NOT_FOUND');
		expect(await outcome(await send('{', 'text/plain', b64(randomBytes(32))))).toBe('403 FORBIDDEN');
		const oversize = await send(`{"maxDownloads":5${' '.repeat(2000)}}`, 'application/json');
		expect(await outcome(oversize.clone())).toBe('413 TOO_LARGE');
		expect(((await oversize.json()) as { error: { details: unknown } }).error.details).toEqual({ limit: 1024 });
		expect((await info()).maxDownloads).toBe(1);
	});

	it('cannot revive an expired or deleted share, nor change one still uploading', async () => {
		h.clock.advance(HOUR);
		expect(await outcome(await patch({ expiresIn: 604800 }))).toBe('410 EXPIRED');

		const other = await readyShare(h);
		expect((await h.api(`/shares/${other.id}`, { method: 'DELETE', headers: bearer(other.ownerToken) })).status).toBe(204);
		expect(await outcome(await patch({ expiresIn: 3600 }, other.ownerToken, other.id))).toBe('410 DELETED');

		const uploading = await createShare(h);
		expect(await outcome(await patch({ expiresIn: 3600 }, uploading.ownerToken, uploading.id))).toBe('409 NOT_READY');
	});
});
