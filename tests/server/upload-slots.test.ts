import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { request, type ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger';
import { startSealdrop, type RunningSealdrop } from '../../server/start';
import { ApiClient, ApiError } from '../../src/lib/api/client';
import type { CreateShareResponse } from '../../src/lib/api/types';
import { isTransient, retryAfterMs } from '../../src/lib/transfer/retry';
import { b64, bearer, createBody, listeningConfig, outcome, tempDir } from './helpers';

const SIZE = 256 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

	async function newShare() {
		const tokens = { owner: randomBytes(32), read: randomBytes(32) };
		const response = await fetch(`${server.url}/api/v1/shares`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(createBody({ size: SIZE, partSize: SIZE }, tokens))
		});
		expect(response.status).toBe(201);
		const share = (await response.json()) as CreateShareResponse;
		return { ...share, owner: b64(tokens.owner), bytes: randomBytes(SIZE), partUrl: `${server.url}/api/v1/shares/${share.id}/parts/0` };
	}
	type Share = Awaited<ReturnType<typeof newShare>>;

	/** A part upload that sends its first 16 KiB and then waits for the test. */
	async function slowUpload(share: Share): Promise<{ req: ClientRequest; finish(): Promise<number> }> {
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

	const inFlight = async () => {
		const text = await (await fetch(`${server.url}/metrics`)).text();
		return Number(/^sealdrop_uploads_in_flight (\d+)$/m.exec(text)?.[1]);
	};
	async function untilInFlight(n: number) {
		for (let i = 0; i < 100 && (await inFlight()) !== n; i++) await sleep(50);
		expect(await inFlight()).toBe(n);
	}
	const put = (share: Share) => fetch(share.partUrl, { method: 'PUT', headers: bearer(share.owner), body: share.bytes });

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
		const error: unknown = await client
			.putPart(three.id, 0, new Uint8Array(three.bytes), three.owner)
			.then(() => undefined, (e: unknown) => e);
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
