import { rm } from 'node:fs/promises';
import { request, type ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UploadSlots } from '../../server/http/upload-slots';
import { createLogger } from '../../server/logger';
import { startSealdrop, type RunningSealdrop } from '../../server/start';
import { ApiClient, ApiError } from '../../src/lib/api/client';
import { isTransient, retryAfterMs } from '../../src/lib/transfer/retry';
import {
	API,
	bearer,
	createOnePartShare,
	createHarness,
	createShare,
	listeningConfig,
	outcome,
	partBytes,
	tempDir,
	type ClientShare,
	type Harness,
	type OnePartShare
} from './helpers';

const SIZE = 256 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Part uploads the server holds a slot for, from its metrics. */
async function uploadsInFlight(baseUrl: string): Promise<number> {
	const text = await (await fetch(`${baseUrl}/metrics`)).text();
	return Number(/^sealdrop_uploads_in_flight (\d+)$/m.exec(text)?.[1]);
}

describe('SEALDROP_MAX_CONCURRENT_UPLOADS over a real socket', () => {
	let dir: string;
	let server: RunningSealdrop;

	beforeAll(async () => {
		dir = await tempDir();
		const config = listeningConfig(dir, { SEALDROP_MAX_CONCURRENT_UPLOADS: '2' });
		server = await startSealdrop(config, { logger: createLogger('silent') });
	});
	afterAll(async () => {
		await server?.close();
		await rm(dir, { recursive: true, force: true });
	});

	const newShare = () => createOnePartShare(server.url, SIZE);

	/** A part upload that sends its first 16 KiB and then waits for the test. */
	async function slowUpload(share: OnePartShare): Promise<{ req: ClientRequest; finish(): Promise<number> }> {
		const req = request(share.partUrl, {
			method: 'PUT',
			agent: false,
			headers: { ...bearer(share.owner), 'content-length': String(SIZE), 'content-type': 'application/octet-stream' }
		});
		const status = new Promise<number>((resolve, reject) => {
			req.on('response', (res) => {
				res.resume();
				resolve(res.statusCode ?? 0);
			});
			req.on('error', reject);
		});
		// A test that hangs up on purpose never asks for the status.
		status.catch(() => {});
		await new Promise<void>((resolve) => req.write(share.bytes.subarray(0, 16 * 1024), () => resolve()));
		return {
			req,
			finish() {
				req.end(share.bytes.subarray(16 * 1024));
				return status;
			}
		};
	}

	const inFlight = () => uploadsInFlight(server.url);
	async function untilInFlight(n: number) {
		for (let i = 0; i < 100 && (await inFlight()) !== n; i++) await sleep(50);
		expect(await inFlight()).toBe(n);
	}
	const put = (share: OnePartShare) => fetch(share.partUrl, { method: 'PUT', headers: bearer(share.owner), body: share.bytes });

	it('refuses the upload over the cap with 503 SERVER_BUSY and Retry-After, and takes it once a slot frees', async () => {
		const [one, two, three, four] = await Promise.all([newShare(), newShare(), newShare(), newShare()]);
		const first = await slowUpload(one);
		const second = await slowUpload(two);
		await untilInFlight(2);

		const refused = await put(three);
		expect(refused.headers.get('retry-after')).toBe('5');
		expect(await refused.clone().json()).toMatchObject({ error: { code: 'SERVER_BUSY', details: { retryAfter: 5 } } });
		expect(await outcome(refused)).toBe('503 SERVER_BUSY');

		// The web app's client sees a transient error and the server's wait.
		const client = new ApiClient(server.url);
		const error: unknown = await client.putPart(three.id, 0, new Uint8Array(three.bytes), three.owner).then(
			() => undefined,
			(e: unknown) => e
		);
		expect(error).toBeInstanceOf(ApiError);
		expect((error as ApiError).code).toBe('SERVER_BUSY');
		expect(isTransient(error)).toBe(true);
		expect(retryAfterMs(error)).toBe(5000);

		// The refusals took no slot; a finished upload frees one.
		expect(await first.finish()).toBe(200);
		expect((await put(three)).status).toBe(200);

		// A client that hangs up mid-part frees its slot too.
		second.req.destroy();
		await untilInFlight(0);
		const [five, six] = await Promise.all([newShare(), newShare()]);
		const a = await slowUpload(five);
		const b = await slowUpload(six);
		await untilInFlight(2);
		expect(await outcome(await put(four))).toBe('503 SERVER_BUSY');
		expect(await Promise.all([a.finish(), b.finish()])).toEqual([200, 200]);
		expect((await put(four)).status).toBe(200);
		expect(await inFlight()).toBe(0);
	});
});

describe('one client cannot take every upload slot', () => {
	let dir: string;
	let server: RunningSealdrop;

	beforeAll(async () => {
		dir = await tempDir();
		const config = listeningConfig(dir, {
			SEALDROP_MAX_CONCURRENT_UPLOADS: '6',
			SEALDROP_MAX_UPLOADS_PER_CLIENT: '2',
			SEALDROP_RATE_LIMIT_CREATE: 'off'
		});
		server = await startSealdrop(config, { logger: createLogger('silent') });
	});
	afterAll(async () => {
		await server?.close();
		await rm(dir, { recursive: true, force: true });
	});

	const newShare = () => createOnePartShare(server.url, SIZE);

	/**
	 * A part upload from `localAddress` (127.0.0.0/8 is all loopback on Linux) that sends 16 KiB
	 * and then trickles nothing more until the test finishes or drops it.
	 */
	function trickle(share: OnePartShare, localAddress: string) {
		const req = request(share.partUrl, {
			method: 'PUT',
			agent: false,
			localAddress,
			headers: { ...bearer(share.owner), 'content-length': String(SIZE), 'content-type': 'application/octet-stream' }
		});
		let answered: { status: number; retryAfter: string | undefined; body: string } | undefined;
		const status = new Promise<number>((resolve, reject) => {
			req.on('response', (res) => {
				let body = '';
				res.setEncoding('utf8');
				res.on('data', (chunk: string) => (body += chunk));
				res.on('end', () => {
					answered = { status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body };
					resolve(answered.status);
				});
			});
			req.on('error', reject);
		});
		status.catch(() => {});
		req.write(share.bytes.subarray(0, 16 * 1024));
		return { req, status, answered: () => answered, finish: () => (req.end(share.bytes.subarray(16 * 1024)), status) };
	}

	const inFlight = () => uploadsInFlight(server.url);

	it('refuses a client over its share of slots while another client still uploads', async () => {
		const shares = await Promise.all(Array.from({ length: 8 }, () => newShare()));
		// One client opens six part uploads, as many as the whole server takes.
		const hog = shares.slice(0, 6).map((share) => trickle(share, '127.0.0.1'));
		// Until every one of them holds a slot or was answered.
		const settled = async () => (await inFlight()) + hog.filter((upload) => upload.answered()).length;
		for (let i = 0; i < 200 && (await settled()) < 6; i++) await sleep(25);
		expect(await settled()).toBe(6);

		// It holds its share (2); the rest were refused before their body was read, as retryable.
		expect(await inFlight()).toBe(2);
		const refused = hog.flatMap((upload) => upload.answered() ?? []);
		expect(refused).toHaveLength(4);
		for (const answer of refused) {
			expect(answer.status).toBe(503);
			expect(answer.retryAfter).toBe('5');
			expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'SERVER_BUSY', details: { retryAfter: 5 } } });
		}

		// Another client's part upload goes through, whole, while the first client still holds its slots.
		const other = trickle(shares[6]!, '127.0.0.2');
		expect(await other.finish()).toBe(200);
		expect(await inFlight()).toBe(2);

		// A slot the client frees can be taken by it again.
		const held = hog.filter((upload) => !upload.answered());
		expect(await held[0]!.finish()).toBe(200);
		const again = trickle(shares[7]!, '127.0.0.1');
		expect(await again.finish()).toBe(200);
		held[1]!.req.destroy();
		for (let i = 0; i < 200 && (await inFlight()) > 0; i++) await sleep(25);
		expect(await inFlight()).toBe(0);
	}, 20_000);
});

describe('per-client upload share behind a trusted proxy', () => {
	let h: Harness;
	afterAll(() => h?.close());

	/** What @hono/node-server hands the app for a request the proxy at 10.0.0.1 forwarded. */
	const viaProxy = { incoming: { socket: { remoteAddress: '10.0.0.1' }, headers: {}, complete: true } };

	/** A part upload forwarded for `client` whose body the test releases later. */
	function held(share: ClientShare, n: number, client: string) {
		let release!: () => void;
		const gate = new Promise<void>((resolve) => (release = resolve));
		const bytes = partBytes(share, n);
		const body = new ReadableStream<Uint8Array>({
			async pull(controller) {
				await gate;
				controller.enqueue(bytes);
				controller.close();
			}
		});
		const init = { method: 'PUT', body, duplex: 'half', headers: { ...bearer(share.ownerToken), 'x-forwarded-for': client } };
		const response = Promise.resolve(h.app.request(`${API}/shares/${share.id}/parts/${n}`, init as RequestInit, viaProxy));
		return { release, response };
	}

	it('counts slots per real client (X-Forwarded-For), not per proxy address', async () => {
		h = await createHarness({
			env: { SEALDROP_TRUST_PROXY: '1', SEALDROP_MAX_CONCURRENT_UPLOADS: '8', SEALDROP_MAX_UPLOADS_PER_CLIENT: '2' }
		});
		const share = await createShare(h, { size: 8 * 1024, partSize: 1024 });
		const first = held(share, 0, '203.0.113.1');
		const second = held(share, 1, '203.0.113.1');
		const third = held(share, 2, '203.0.113.1');
		// The third of the same client is over its share and answered at once, its body unread.
		expect(await outcome(await third.response)).toBe('503 SERVER_BUSY');
		// Another client behind the same proxy is not.
		const other = held(share, 3, '203.0.113.2');
		other.release();
		expect((await other.response).status).toBe(200);
		first.release();
		second.release();
		expect((await first.response).status).toBe(200);
		expect((await second.response).status).toBe(200);
		// Its slots are free again.
		const again = held(share, 2, '203.0.113.1');
		again.release();
		expect((await again.response).status).toBe(200);
	});
});

describe('UploadSlots', () => {
	it('caps each client at its share and the process at the total', () => {
		const slots = new UploadSlots(3, 2);
		expect(slots.tryAcquire('a')).toBe(true);
		expect(slots.tryAcquire('a')).toBe(true);
		expect(slots.tryAcquire('a')).toBe(false);
		expect(slots.tryAcquire('b')).toBe(true);
		expect(slots.tryAcquire('c')).toBe(false);
		expect(slots.inFlight).toBe(3);
		slots.release('a');
		expect(slots.tryAcquire('c')).toBe(true);
		slots.release('a');
		slots.release('b');
		slots.release('c');
		expect(slots.inFlight).toBe(0);
		// An unknown client (no address) is held only to the total.
		expect([1, 2, 3, 4].map(() => slots.tryAcquire(undefined))).toEqual([true, true, true, false]);
	});
});
