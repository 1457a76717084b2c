import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
	asBody,
	bearer,
	claim,
	completeShare,
	createHarness,
	createShare,
	listFiles,
	outcome,
	partBytes,
	putPart,
	streamInit,
	uploadAll,
	watchedStream,
	type ClientShare,
	type Harness
} from './helpers';

describe('uploading', () => {
	let h: Harness;
	let share: ClientShare;
	beforeEach(async () => {
		h = await createHarness();
		share = await createShare(h, { size: 2500, partSize: 1024 });
	});
	afterEach(async () => {
		await h.close();
	});

	const partsStatus = async () => {
		const response = await h.api(`/shares/${share.id}/parts`, { headers: bearer(share.ownerToken) });
		expect(response.status).toBe(200);
		return response.json();
	};
	const download = async (s: ClientShare) => {
		const { ticket } = await claim(h, s);
		const response = await h.api(`/shares/${s.id}/blob`, { headers: bearer(ticket) });
		expect(response.status).toBe(200);
		return Buffer.from(await response.arrayBuffer());
	};
	/** Files of this share in the blob store, and any temp file. */
	const stored = async () => (await listFiles(h.blobDir)).filter((f) => f.includes(share.id) || f.startsWith('.tmp'));

	it('stores parts, lists them, completes, and serves exactly the bytes', async () => {
		expect(await partsStatus()).toEqual({ parts: 3, received: [], complete: false, uploadExpiresAt: h.clock.now() + 86400_000 });
		const response = await putPart(h, share, 2);
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({ n: 2, size: 2500 - 2048 });
		h.clock.advance(1000);
		await putPart(h, share, 0);
		expect(await partsStatus()).toEqual({ parts: 3, received: [0, 2], complete: false, uploadExpiresAt: h.clock.now() + 86400_000 });
		await putPart(h, share, 1);

		const completed = await completeShare(h, share);
		expect(completed.status).toBe(200);
		expect(await completed.json()).toEqual({ id: share.id, expiresAt: h.clock.now() + 86400_000, maxDownloads: 1 });
		expect(await partsStatus()).toEqual({ parts: 3, received: [0, 1, 2], complete: true });
		expect(await stored()).toEqual([`${share.id}/0`, `${share.id}/1`, `${share.id}/2`]);
		expect((await download(share)).equals(share.bytes)).toBe(true);
		expect(h.logs.lines.filter((l) => l.audit === 'share.complete')).toHaveLength(1);
	});

	it('replaces a part sent again', async () => {
		await putPart(h, share, 0, randomBytes(1024));
		await putPart(h, share, 0);
		await putPart(h, share, 1);
		await putPart(h, share, 2);
		expect((await completeShare(h, share)).status).toBe(200);
		expect((await download(share)).equals(share.bytes)).toBe(true);
	});

	it('takes different parts, and the same part twice, in parallel', async () => {
		const big = await createShare(h, { size: 40 * 1024 + 5, partSize: 4096 });
		const uploads: Promise<Response>[] = [];
		for (let n = big.parts - 1; n >= 0; n--) uploads.push(putPart(h, big, n), putPart(h, big, n));
		for (const response of await Promise.all(uploads)) expect(response.status).toBe(200);
		expect((await completeShare(h, big)).status).toBe(200);
		expect((await download(big)).equals(big.bytes)).toBe(true);
		expect((await listFiles(h.blobDir)).filter((f) => f.startsWith('.tmp'))).toEqual([]);
	});

	it('answers 400 INVALID_PART for a part number that is not one', async () => {
		for (const n of ['x', '-1', '1.0', '01', '1e2', '99999999999']) {
			const response = await h.api(`/shares/${share.id}/parts/${n}`, { method: 'PUT', body: 'x', headers: bearer(share.ownerToken) });
			expect(await outcome(response), n).toBe('400 INVALID_PART');
		}
		const response = await putPart(h, share, 3, new Uint8Array(10));
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ error: { code: 'INVALID_PART', details: { parts: 3 } } });
	});

	it('needs the owner token', async () => {
		const path = `/shares/${share.id}/parts/0`;
		const body = asBody(partBytes(share, 0));
		const missing = await h.api(path, { method: 'PUT', body });
		expect(await outcome(missing)).toBe('401 UNAUTHORIZED');
		expect(missing.headers.get('www-authenticate')).toBe('Bearer');
		expect(await outcome(await h.api(path, { method: 'PUT', body, headers: { authorization: `Basic ${share.ownerToken}` } }))).toBe(
			'401 UNAUTHORIZED'
		);
		expect(await outcome(await h.api(path, { method: 'PUT', body, headers: bearer(share.readToken) }))).toBe('403 FORBIDDEN');
		expect(await outcome(await h.api(path, { method: 'PUT', body, headers: bearer('short') }))).toBe('403 FORBIDDEN');
		expect(await outcome(await h.api(`/shares/${share.id}/parts`, { headers: bearer(share.readToken) }))).toBe('403 FORBIDDEN');
		expect(await outcome(await h.api(`/shares/${share.id}/complete`, { method: 'POST' }))).toBe('401 UNAUTHORIZED');
		expect(await outcome(await h.api(`/shares/${share.id}/complete`, { method: 'POST', headers: bearer(share.readToken) }))).toBe(
			'403 FORBIDDEN'
		);
		expect(await stored()).toEqual([]);
	});

	it('answers 404 for an unknown id and 400 for a malformed one', async () => {
		const unknown = 'AAAAAAAAAAAAAAAAAAAAAA';
		expect(await outcome(await h.api(`/shares/${unknown}/parts/0`, { method: 'PUT', body: 'x', headers: bearer(share.ownerToken) }))).toBe(
			'404 NOT_FOUND'
		);
		expect(await outcome(await h.api(`/shares/${unknown}/parts`, { headers: bearer(share.ownerToken) }))).toBe('404 NOT_FOUND');
		expect(await outcome(await h.api(`/shares/short/parts/0`, { method: 'PUT', body: 'x', headers: bearer(share.ownerToken) }))).toBe(
			'400 INVALID_ID'
		);
		expect(await outcome(await h.api(`/shares/${share.id}x/complete`, { method: 'POST', headers: bearer(share.ownerToken) }))).toBe(
			'400 INVALID_ID'
		);
	});

	it('answers 413 for a longer body and keeps nothing', async () => {
		const response = await putPart(h, share, 0, randomBytes(1025));
		expect(response.status).toBe(413);
		expect(await response.json()).toMatchObject({ error: { code: 'TOO_LARGE', details: { expected: 1024 } } });
		expect(await stored()).toEqual([]);
		expect(await partsStatus()).toMatchObject({ received: [] });
	});

	it('stops reading a streamed body as soon as it is too long', async () => {
		let sent = 0;
		const endless = new ReadableStream<Uint8Array>({
			pull(controller) {
				sent += 512;
				controller.enqueue(new Uint8Array(512));
			}
		});
		const response = await h.api(`/shares/${share.id}/parts/0`, streamInit('PUT', endless, bearer(share.ownerToken)));
		expect(await outcome(response)).toBe('413 TOO_LARGE');
		expect(sent).toBeLessThanOrEqual(1024 + 2 * 512);
		expect(await stored()).toEqual([]);
	});

	it('answers 400 PART_SIZE_MISMATCH for a short body and keeps nothing', async () => {
		expect(await outcome(await putPart(h, share, 0, randomBytes(1000)))).toBe('400 PART_SIZE_MISMATCH');
		expect(await outcome(await putPart(h, share, 2, randomBytes(1024)))).toBe('413 TOO_LARGE');
		expect(await outcome(await putPart(h, share, 2, new Uint8Array(0)))).toBe('400 PART_SIZE_MISMATCH');
		expect(await outcome(await h.api(`/shares/${share.id}/parts/1`, { method: 'PUT', headers: bearer(share.ownerToken) }))).toBe(
			'400 PART_SIZE_MISMATCH'
		);
		expect(await stored()).toEqual([]);
	});

	it('refuses a wrong Content-Length before reading the body', async () => {
		for (const [length, expected] of [
			['2048', '413 TOO_LARGE'],
			['1000', '400 PART_SIZE_MISMATCH'],
			['abc', '400 INVALID_REQUEST']
		]) {
			const watched = watchedStream(partBytes(share, 0));
			const response = await h.api(
				`/shares/${share.id}/parts/0`,
				streamInit('PUT', watched.stream, { ...bearer(share.ownerToken), 'content-length': length as string })
			);
			expect(await outcome(response), length).toBe(expected);
			expect(watched.pulled(), length).toBe(false);
		}
		expect(await stored()).toEqual([]);
	});

	it('keeps nothing of a body that breaks off', async () => {
		const broken = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new Uint8Array(600));
				controller.error(new Error('connection reset'));
			}
		});
		const response = await h.api(`/shares/${share.id}/parts/0`, streamInit('PUT', broken, bearer(share.ownerToken)));
		expect(await outcome(response)).toBe('400 PART_SIZE_MISMATCH');
		expect(await stored()).toEqual([]);
	});

	it('answers 409 MISSING_PARTS listing the absent parts', async () => {
		await putPart(h, share, 1);
		const response = await completeShare(h, share);
		expect(response.status).toBe(409);
		expect(await response.json()).toMatchObject({ error: { code: 'MISSING_PARTS', details: { missing: [0, 2] } } });
		expect((await h.meta.shares.get(share.id))?.state).toBe('uploading');
	});

	it('answers 409 ALREADY_COMPLETE to parts and complete after complete', async () => {
		await uploadAll(h, share);
		expect((await completeShare(h, share)).status).toBe(200);
		expect(await outcome(await completeShare(h, share))).toBe('409 ALREADY_COMPLETE');
		expect(await outcome(await putPart(h, share, 0))).toBe('409 ALREADY_COMPLETE');
		expect(await outcome(await putPart(h, share, 0, randomBytes(1024)))).toBe('409 ALREADY_COMPLETE');
		expect((await download(share)).equals(share.bytes)).toBe(true);
	});

	it('a share still uploading can be opened (streaming: tests/server/streaming.test.ts), but its blob only with a ticket', async () => {
		await uploadAll(h, share);
		expect(await (await h.api(`/shares/${share.id}`)).json()).toMatchObject({ state: 'uploading', streamable: true });
		expect(await outcome(await h.api(`/shares/${share.id}/metadata`, { headers: bearer(share.readToken) }))).toBe('200');
		expect(await outcome(await h.api(`/shares/${share.id}/blob`, { headers: bearer('A'.repeat(43)) }))).toBe('403 TICKET_INVALID');
	});

	it('cancels an upload with DELETE', async () => {
		await putPart(h, share, 0);
		const response = await h.api(`/shares/${share.id}`, { method: 'DELETE', headers: bearer(share.ownerToken) });
		expect(response.status).toBe(204);
		expect(await stored()).toEqual([]);
		expect(await outcome(await putPart(h, share, 1))).toBe('410 DELETED');
		expect(await outcome(await completeShare(h, share))).toBe('410 DELETED');
		expect(await outcome(await h.api(`/shares/${share.id}/parts`, { headers: bearer(share.ownerToken) }))).toBe('410 DELETED');
		expect(await stored()).toEqual([]);
	});
});
