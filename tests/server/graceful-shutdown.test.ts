import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../server/config/schema';
import { loadConfig } from '../../server/config/load';
import { createLogger } from '../../server/logger';
import { startSealdrop } from '../../server/start';
import type { CreateShareResponse, PartsStatus } from '../../src/lib/api/types';
import { nextEvent } from '../support/wait';
import { b64, createBody, tempDir } from './helpers';

const MiB = 1024 * 1024;

/** A PUT whose body the test sends in two steps, so it is in flight while the server closes. */
function slowPut(url: string, token: string, length: number) {
	const req = request(url, {
		method: 'PUT',
		agent: false,
		headers: { authorization: `Bearer ${token}`, 'content-length': String(length), 'content-type': 'application/octet-stream' }
	});
	const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
		req.on('response', (res) => {
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (chunk: string) => (body += chunk));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
		});
		req.on('error', reject);
	});
	return { req, answer };
}

describe('graceful shutdown', () => {
	let dir: string;
	let config: Config;
	beforeAll(async () => {
		dir = await tempDir();
		config = loadConfig({
			SEALDROP_HOST: '127.0.0.1',
			SEALDROP_PORT: '0',
			SEALDROP_DATA_DIR: join(dir, 'data'),
			SEALDROP_STATIC_DIR: join(dir, 'no-build')
		});
	});
	afterAll(() => rm(dir, { recursive: true, force: true }));

	it('lets a part in flight finish, refuses new connections, and loses no completed part', async () => {
		const silent = createLogger('silent');
		const server = await startSealdrop(config, { logger: silent });
		const tokens = { owner: randomBytes(32), read: randomBytes(32) };
		const created = await fetch(`${server.url}/api/v1/shares`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(createBody({ size: 6 * MiB, partSize: 5 * MiB }, tokens))
		});
		expect(created.status).toBe(201);
		const share = (await created.json()) as CreateShareResponse;
		const ownerToken = b64(tokens.owner);

		const part = randomBytes(5 * MiB);
		// The server is told to stop only once it is handling the part (its 'request' event fires
		// after Hono's own listener has taken the request).
		const handling = nextEvent(server.httpServer, 'request', { what: "the server's 'request' event for the part" });
		const put = slowPut(`${server.url}/api/v1/shares/${share.id}/parts/0`, ownerToken, part.length);
		await new Promise<void>((resolve) => put.req.write(part.subarray(0, MiB), () => resolve()));
		await handling;

		const closed = server.close();
		let closedYet = false;
		void closed.then(() => (closedYet = true));
		// No new connection is accepted once closing started (close stops listening at once).
		await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
		// Nor has close finished: the part is still in flight.
		expect(closedYet).toBe(false);

		put.req.end(part.subarray(MiB));
		const answer = await put.answer;
		expect(answer.status, answer.body).toBe(200);
		expect(JSON.parse(answer.body)).toEqual({ n: 0, size: 5 * MiB });
		await closed;

		// The part survived: a new process on the same data sees it.
		const again = await startSealdrop(config, { logger: silent });
		try {
			const parts = await fetch(`${again.url}/api/v1/shares/${share.id}/parts`, { headers: { authorization: `Bearer ${ownerToken}` } });
			expect(parts.status).toBe(200);
			const status = (await parts.json()) as PartsStatus;
			expect(status.received).toEqual([0]);
		} finally {
			await again.close();
		}
	}, 30_000);
});
