/**
 * SEALDROP_S3_DIRECT: presigned URLs to the bucket instead of bytes through the server, against
 * s3rver. s3rver checks a presigned URL's expiry (against the real time) but not its V4
 * signature, so a URL's pinned Content-Length is checked here by reading its signed headers, and
 * complete is shown to refuse a part of the wrong size that such a store let in.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { ConfigError } from '../../server/config/schema';
import { loadConfig } from '../../server/config/load';
import { createLogger } from '../../server/logger';
import { openStores } from '../../server/stores/open';
import type { DirectUrlResponse, PartsStatus, ServerConfig } from '../../src/lib/api/types';
import { nodeBackend } from '../../cli/node-backend';
import { inlineBackend } from '../../src/lib/transfer/crypto-backend';
import { ApiClient, ApiError } from '../../src/lib/api/client';
import type { PartUpload } from '../../src/lib/transfer/crypto-backend';
import { resumeUpload, runUpload, startUpload, uploadShare } from '../../src/lib/transfer/upload';
import { memoryPendingUploads } from '../../src/lib/uploads/pending-uploads';
import { startS3rver, type TestS3 } from '../support/s3rver';
import { describeWithServices, FAST_TIER } from '../support/tier';
import { DownloadSession, openShare } from '../../src/lib/transfer/download';
import { CliHarness, fileSha, sha } from '../unit/cli/harness';
import { collectingSink, randomFile, readShare, startTestServer, type TestServer } from '../unit/controllers/support';
import {
	asBody,
	bearer,
	claim,
	completeShare,
	createHarness,
	createShare,
	outcome,
	partBytes,
	type ClientShare,
	type Harness
} from './helpers';

let s3: TestS3;
beforeAll(async () => {
	if (!FAST_TIER) s3 = await startS3rver('sealdrop-direct', { listParts: true });
});
afterAll(() => s3?.close());

const TTL = 120;

function directHarness(env: Record<string, string> = {}): Promise<Harness> {
	const all = { ...s3.env, SEALDROP_S3_DIRECT: 'true', SEALDROP_S3_DIRECT_TTL: String(TTL), ...env };
	return createHarness({
		env: all,
		openStores: (config) => openStores(loadConfig({ SEALDROP_DATA_DIR: config.dataDir, ...all }), createLogger('silent'))
	});
}

async function uploadUrl(h: Harness, share: ClientShare, n: number, token = share.ownerToken): Promise<Response> {
	return h.api(`/shares/${share.id}/parts/${n}/upload-url`, { method: 'POST', headers: bearer(token) });
}

async function putDirect(h: Harness, share: ClientShare, n: number, body: Uint8Array = partBytes(share, n)): Promise<Response> {
	const answer = await uploadUrl(h, share, n);
	expect(answer.status, await answer.clone().text()).toBe(200);
	const { url } = (await answer.json()) as DirectUrlResponse;
	return fetch(url, { method: 'PUT', body: asBody(body) });
}

async function received(h: Harness, share: ClientShare): Promise<number[]> {
	const answer = await h.api(`/shares/${share.id}/parts`, { headers: bearer(share.ownerToken) });
	expect(answer.status).toBe(200);
	return ((await answer.json()) as PartsStatus).received;
}

const signed = (url: string) => new URL(url).searchParams;

/**
 * Checks a presigned URL's signature the way S3 does (AWS SigV4 query-string authentication,
 * written here from the AWS documentation, independently of the signer), for a request carrying
 * `headers`. s3rver does not check V4 signatures, so this is what shows a real S3 would accept it.
 */
function sigV4Valid(url: string, method: string, headers: Record<string, string>, secret: string): boolean {
	const u = new URL(url);
	const q = u.searchParams;
	const rfc3986 = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
	const query = [...q.entries()]
		.filter(([name]) => name !== 'X-Amz-Signature')
		.map(([name, value]) => `${rfc3986(name)}=${rfc3986(value)}`)
		.sort()
		.join('&');
	const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
	const all: Record<string, string> = { host: u.host, ...headers };
	const canonical = [
		method,
		u.pathname,
		query,
		...signedHeaders.map((name) => `${name}:${all[name]}`),
		'',
		signedHeaders.join(';'),
		'UNSIGNED-PAYLOAD'
	].join('\n');
	const date = q.get('X-Amz-Date') ?? '';
	const scope = (q.get('X-Amz-Credential') ?? '').split('/').slice(1).join('/');
	const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
	let key: Buffer = Buffer.from(`AWS4${secret}`);
	for (const piece of scope.split('/')) key = createHmac('sha256', key).update(piece).digest();
	return createHmac('sha256', key).update(toSign).digest('hex') === q.get('X-Amz-Signature');
}

describeWithServices('SEALDROP_S3_DIRECT configuration', () => {
	it('is refused at start-up without the S3 blob store, with a message naming both settings', () => {
		let error: unknown;
		try {
			loadConfig({ SEALDROP_S3_DIRECT: 'true' });
		} catch (caught) {
			error = caught;
		}
		expect(error).toBeInstanceOf(ConfigError);
		expect((error as ConfigError).problems).toContain(
			'SEALDROP_S3_DIRECT: needs SEALDROP_BLOB_STORE=s3 (clients can only reach an S3 bucket directly)'
		);
		expect(loadConfig({ ...s3.env, SEALDROP_S3_DIRECT: 'true' }).s3Direct).toEqual({ ttl: 300 });
	});

	it('GET /config says whether direct transfers are on; without them the URL endpoints do not exist', async () => {
		// S3 without direct mode stores each part as an object: a share streams while it uploads.
		const s3Proxied = await createHarness({ env: s3.env });
		try {
			expect(s3Proxied.config.blobStore.kind).toBe('s3');
			expect(await (await s3Proxied.api('/config')).json()).toMatchObject({ directTransfers: false, streaming: true });
		} finally {
			await s3Proxied.close();
		}
		const off = await createHarness();
		try {
			const answer = await off.api('/config');
			expect(((await answer.json()) as ServerConfig).directTransfers).toBe(false);
			expect(answer.headers.get('content-security-policy')).toContain("connect-src 'self';");
			const share = await createShare(off, { size: 3000 });
			expect(await outcome(await uploadUrl(off, share, 0))).toBe('404 NOT_FOUND');
			expect(await outcome(await off.api(`/shares/${share.id}/blob-url`, { method: 'POST', headers: bearer('x'.repeat(43)) }))).toBe(
				'404 NOT_FOUND'
			);
		} finally {
			await off.close();
		}
		const on = await directHarness();
		try {
			const answer = await on.api('/config');
			// Parts go into one multipart upload, which S3 cannot read before it is complete.
			expect(await answer.clone().json()).toMatchObject({ directTransfers: true, streaming: false });
			// The pages and their workers may fetch from the bucket: its origin joins connect-src.
			expect(answer.headers.get('content-security-policy')).toContain(`connect-src 'self' ${s3.endpoint};`);
		} finally {
			await on.close();
		}
	});
});

describeWithServices('direct uploads', () => {
	let h: Harness;
	afterEach(() => h?.close());

	it('a part URL goes only to the owner, pins the part length, and lives SEALDROP_S3_DIRECT_TTL from the server clock', async () => {
		h = await directHarness();
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		expect(await outcome(await uploadUrl(h, share, 0, b64Token()))).toBe('403 FORBIDDEN');
		expect(await outcome(await uploadUrl(h, share, 3))).toBe('400 INVALID_PART');

		const answer = (await (await uploadUrl(h, share, 2)).json()) as DirectUrlResponse;
		expect(answer.size).toBe(3000 - 2048);
		expect(answer.expiresAt).toBe(h.clock.now() + TTL * 1000);
		const query = signed(answer.url);
		expect(query.get('X-Amz-Expires')).toBe(String(TTL));
		expect(query.get('X-Amz-Date')).toBe(new Date(h.clock.now()).toISOString().replace(/[-:]|\.\d+/g, ''));
		expect(query.get('X-Amz-SignedHeaders')?.split(';')).toEqual(['content-length', 'host']);
		expect(query.get('partNumber')).toBe('3');
		expect(new URL(answer.url).pathname).toBe(`/sealdrop-direct/shares/${share.id}`);
		expect(signed(answer.url).get('X-Amz-Credential')).toMatch(/^S3RVER\/\d{8}\/us-east-1\/s3\/aws4_request$/);
		expect(sigV4Valid(answer.url, 'PUT', { 'content-length': String(answer.size) }, s3.secretAccessKey)).toBe(true);
		// Another length is another request: its signature does not match.
		expect(sigV4Valid(answer.url, 'PUT', { 'content-length': String(answer.size + 1) }, s3.secretAccessKey)).toBe(false);
	});

	it('the bucket refuses a part URL once its lifetime is over (s3rver checks expiry against the real time)', async () => {
		h = await directHarness();
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		h.clock.t = Date.now() - (TTL + 5) * 1000;
		const stale = await putDirect(h, share, 0);
		expect(stale.status).toBe(403);
		expect(await stale.text()).toContain('Request has expired');
		h.clock.t = Date.now() - (TTL - 30) * 1000;
		expect((await putDirect(h, share, 0)).status).toBe(200);
	});

	it('resume lists what the bucket holds, and complete seals it: no part byte is recorded by the server', async () => {
		h = await directHarness();
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		expect(await received(h, share)).toEqual([]);
		expect((await putDirect(h, share, 2)).status).toBe(200);
		expect((await putDirect(h, share, 0)).status).toBe(200);
		expect(await received(h, share)).toEqual([0, 2]);
		expect(await outcome(await completeShare(h, share))).toBe('409 MISSING_PARTS');
		expect((await putDirect(h, share, 1)).status).toBe(200);
		expect(await received(h, share)).toEqual([0, 1, 2]);
		// The server only noted that URLs were asked for (size 0: not received).
		expect((await h.meta.parts.list(share.id)).map((part) => part.size)).toEqual([0, 0, 0]);
		expect(await outcome(await completeShare(h, share))).toBe('200');
		expect(await h.blobs.size(share.id)).toBe(3000);
		// Once complete, no more part URLs.
		expect(await outcome(await uploadUrl(h, share, 0))).toBe('409 ALREADY_COMPLETE');
	});

	it('complete refuses a part of the wrong size that reached the bucket, and never makes the share ready with it', async () => {
		h = await directHarness();
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		expect((await putDirect(h, share, 0)).status).toBe(200);
		expect((await putDirect(h, share, 1, randomBytes(1000))).status).toBe(200); // s3rver ignores the signed length
		expect((await putDirect(h, share, 2)).status).toBe(200);
		expect(await received(h, share)).toEqual([0, 2]);
		const refused = await completeShare(h, share);
		expect(refused.status).toBe(409);
		expect(await refused.json()).toMatchObject({ error: { code: 'MISSING_PARTS', details: { missing: [1] } } });
		expect((await h.meta.shares.get(share.id))?.state).toBe('uploading');
		expect(await h.blobs.size(share.id)).toBeUndefined();
		expect((await putDirect(h, share, 1)).status).toBe(200);
		expect(await outcome(await completeShare(h, share))).toBe('200');
	});
});

describeWithServices('direct downloads', () => {
	let h: Harness;
	afterEach(() => h?.close());

	async function readyDirect(): Promise<ClientShare> {
		const share = await createShare(h, { size: 3000, partSize: 1024, maxDownloads: 2 });
		for (let n = 0; n < 3; n++) expect((await putDirect(h, share, n)).status).toBe(200);
		expect(await outcome(await completeShare(h, share))).toBe('200');
		return share;
	}
	const blobUrl = (share: ClientShare, ticket: string) =>
		h.api(`/shares/${share.id}/blob-url`, { method: 'POST', headers: bearer(ticket) });

	it('a read URL goes only to a valid ticket, and reads exact ranges from the bucket', async () => {
		h = await directHarness();
		const share = await readyDirect();
		expect(await outcome(await blobUrl(share, b64Token()))).toBe('403 TICKET_INVALID');
		expect(await outcome(await blobUrl(share, share.readToken))).toBe('403 TICKET_INVALID');
		const { ticket } = await claim(h, share);
		const answer = (await (await blobUrl(share, ticket)).json()) as DirectUrlResponse;
		expect(answer.size).toBe(3000);
		expect(signed(answer.url).get('X-Amz-SignedHeaders')).toBe('host');
		expect(sigV4Valid(answer.url, 'GET', {}, s3.secretAccessKey)).toBe(true);
		expect(sigV4Valid(answer.url, 'PUT', {}, s3.secretAccessKey)).toBe(false);
		const range = await fetch(answer.url, { headers: { Range: 'bytes=1000-2099' } });
		expect(range.status).toBe(206);
		expect(Buffer.from(await range.arrayBuffer())).toEqual(share.bytes.subarray(1000, 2100));
		// The claim counted one download, as without direct mode; asking for URLs counts nothing.
		await blobUrl(share, ticket);
		expect((await h.meta.shares.get(share.id))?.downloads).toBe(1);
	});

	it('a read URL never outlives its ticket: min(ticket expiry, TTL), whole seconds rounded down', async () => {
		h = await directHarness({ SEALDROP_TICKET_TTL: '600' });
		const share = await readyDirect();
		const { ticket, ticketExpiresAt } = await claim(h, share);
		const early = (await (await blobUrl(share, ticket)).json()) as DirectUrlResponse;
		expect(signed(early.url).get('X-Amz-Expires')).toBe(String(TTL));

		h.clock.t = ticketExpiresAt - 50_500; // 50.5 s of ticket left
		const late = (await (await blobUrl(share, ticket)).json()) as DirectUrlResponse;
		expect(signed(late.url).get('X-Amz-Expires')).toBe('50');
		expect(late.expiresAt).toBe(h.clock.now() + 50_000);
		expect(late.expiresAt).toBeLessThanOrEqual(ticketExpiresAt);

		h.clock.t = ticketExpiresAt - 999; // less than a second: nothing S3 could sign
		expect(await outcome(await blobUrl(share, ticket))).toBe('403 TICKET_INVALID');
		h.clock.t = ticketExpiresAt;
		expect(await outcome(await blobUrl(share, ticket))).toBe('403 TICKET_INVALID');
	});

	it('a share stored as part objects (begun before direct mode was on) has no upload or read URL: the client sends and reads it through the server', async () => {
		// The direct-mode server, its store opened as before the switch (part objects), so that a share uploads that way.
		const all = { ...s3.env, SEALDROP_S3_DIRECT: 'true', SEALDROP_S3_DIRECT_TTL: String(TTL) };
		h = await createHarness({
			env: all,
			openStores: (config) => openStores(loadConfig({ SEALDROP_DATA_DIR: config.dataDir, ...s3.env }), createLogger('silent'))
		});
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		const requests: string[] = [];
		const client = new ApiClient('http://sealdrop.test', (input, init) => {
			requests.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
			return Promise.resolve(h.app.request(String(input), init));
		});
		// Its parts have no upload URL either: the client sends them through the server.
		expect(await outcome(await uploadUrl(h, share, 0))).toBe('404 NOT_FOUND');
		for (let n = 0; n < 3; n++) await client.putPartDirect(share.id, n, new Uint8Array(partBytes(share, n)), share.ownerToken);
		expect(requests.filter((line) => line.startsWith('PUT'))).toHaveLength(3);
		requests.length = 0;
		expect(await outcome(await completeShare(h, share))).toBe('200');
		const { ticket } = await claim(h, share);
		expect(await outcome(await blobUrl(share, ticket))).toBe('404 NOT_FOUND');

		const first = await client.blobDirect(share.id, ticket, 1000, 2100);
		expect(Buffer.from(await first.arrayBuffer())).toEqual(share.bytes.subarray(1000, 2100));
		const second = await client.blobDirect(share.id, ticket, 0, 3000);
		expect(Buffer.from(await second.arrayBuffer())).toEqual(share.bytes);
		// blob-url is asked once; then every range goes through GET /blob.
		expect(requests).toEqual([
			`POST /api/v1/shares/${share.id}/blob-url`,
			`GET /api/v1/shares/${share.id}/blob`,
			`GET /api/v1/shares/${share.id}/blob`
		]);
	});

	it('the bucket refuses a read URL after its lifetime (real time, s3rver)', async () => {
		h = await directHarness();
		const share = await readyDirect();
		const { ticket } = await claim(h, share);
		h.clock.t = Date.now() - (TTL + 5) * 1000;
		// The ticket was claimed at the harness's clock (2030): still valid at this earlier time.
		const answer = (await (await blobUrl(share, ticket)).json()) as DirectUrlResponse;
		expect((await fetch(answer.url)).status).toBe(403);
	});
});

const b64Token = () => randomBytes(32).toString('base64url');

describeWithServices('direct transfers through the engine (the browser code in Node, and the CLI backend)', () => {
	let t: TestServer;
	// The transfers below take seconds on a busy machine: they get 60 s, not vitest's default 5.
	/** What reached the Sealdrop server itself: every request line, and every byte on its sockets. */
	const requests: string[] = [];
	const sockets: Socket[] = [];
	beforeAll(async () => {
		t = await startTestServer({ ...s3.env, SEALDROP_S3_DIRECT: 'true' });
		t.server.httpServer.on('connection', (socket: Socket) => sockets.push(socket));
		t.server.httpServer.on('request', (request: IncomingMessage) => requests.push(`${request.method} ${request.url?.split('?')[0]}`));
	});
	afterAll(() => t?.close());

	it.each([
		['nodeBackend (streamed part bodies, as the CLI sends them)', nodeBackend],
		['inlineBackend (Blob part bodies, as the browser sends them)', inlineBackend]
	])(
		'a round trip with %s: the same bytes back, and no part or blob byte through Sealdrop',
		async (_name, crypto) => {
			requests.length = 0;
			sockets.length = 0;
			const api = t.client();
			const { file, bytes } = randomFile('big.bin', 640 * 1024);
			const made = await uploadShare(
				{ files: [file], expiresIn: 86400, maxDownloads: 1 },
				{ api, config: await api.config(), crypto, pending: memoryPendingUploads() }
			);
			expect(await readShare(api, made.id, made.secret)).toEqual(bytes);

			const lines = requests.filter((line) => line.includes(made.id));
			expect(lines.filter((line) => line.endsWith('/upload-url')).length).toBeGreaterThan(5);
			expect(lines).toContain(`POST /api/v1/shares/${made.id}/blob-url`);
			expect(lines.filter((line) => /^PUT .*\/parts\/\d+$/.test(line) || line.endsWith('/blob'))).toEqual([]);
			// Everything Sealdrop read and wrote, headers and JSON included, is a small fraction of the
			// 640 KiB of ciphertext that went to the bucket and back (the metadata: about 300 bytes).
			const carried = sockets.reduce((sum, socket) => sum + socket.bytesRead + socket.bytesWritten, 0);
			expect(carried).toBeLessThan(64 * 1024);
			expect(await t.server.blobs.size(made.id)).toBeGreaterThan(640 * 1024);
		},
		60_000
	);

	it('an interrupted upload resumes from what the bucket holds: only the missing parts are sent again', async () => {
		const api = t.client();
		const { file, bytes } = randomFile('resumed.bin', 400 * 1024);
		const deps = { api, config: await api.config(), crypto: nodeBackend, pending: memoryPendingUploads(), parallel: 1 };
		// The first run stops at part 2 (a refusal, not retried), parts 0 and 1 in the bucket.
		const stopping = {
			...nodeBackend,
			sendPart: async (part: PartUpload, signal?: AbortSignal) => {
				if (part.n >= 2) throw new ApiError('BAD_RESPONSE', 'stopped by the test');
				await nodeBackend.sendPart(part, signal);
			}
		};
		const job = await startUpload({ files: [file], expiresIn: 86400, maxDownloads: 1 }, deps);
		await expect(runUpload(job, { ...deps, crypto: stopping })).rejects.toThrow('stopped by the test');
		const status = await api.listParts(job.pending.id, job.pending.ownerToken);
		expect(status.received).toEqual([0, 1]);

		requests.length = 0;
		const done = await runUpload((await resumeUpload(job.pending, [file]))!, deps);
		const urls = requests.filter((line) => line.includes(done.id) && line.endsWith('/upload-url'));
		expect(urls.map((line) => Number(/parts\/(\d+)\//.exec(line)?.[1]))).toEqual(Array.from({ length: status.parts - 2 }, (_, i) => i + 2));
		expect(await readShare(api, done.id, done.secret)).toEqual(bytes);
	}, 60_000);

	it('the engine retries a part PUT and a range GET that the bucket fails (503), as it does with Sealdrop', async () => {
		const api = t.client();
		const { file, bytes } = randomFile('retried.bin', 200 * 1024);
		const sleeps: number[] = [];
		// Real backoff, without the wait: the sleeps are recorded.
		const retryEnv = { random: () => 0.5, now: () => Date.now(), sleep: async (ms: number) => void sleeps.push(ms) };
		s3.failNext('PUT', 2);
		const made = await uploadShare(
			{ files: [file], expiresIn: 86400, maxDownloads: 1 },
			{ api, config: await api.config(), crypto: nodeBackend, pending: memoryPendingUploads(), retryEnv }
		);
		expect(sleeps.length).toBe(2);
		s3.failNext('GET', 1);
		const opened = await openShare(api, made.id, made.secret);
		const sink = collectingSink();
		await new DownloadSession(opened, { api, crypto: inlineBackend, retryEnv }).save(0, opened.layout.plainSize, sink);
		expect(sink.bytes()).toEqual(bytes);
		expect(sleeps.length).toBe(3);
	}, 60_000);
});

describeWithServices('the CLI with direct transfers', () => {
	const cli = new CliHarness();
	beforeAll(() => cli.start({ ...s3.env, SEALDROP_S3_DIRECT: 'true' }));
	afterAll(() => cli.close());

	it('sealdrop send and get move a two-part file through the bucket, not through Sealdrop', async () => {
		const big = randomBytes(9 * 1024 * 1024 + 17);
		await cli.write('big.bin', big);
		const sent = await cli.run(['send', 'big.bin', '--json']);
		expect(sent.stderr).toBe('');
		expect(sent.code).toBe(0);
		const { link, id } = JSON.parse(sent.stdout) as { link: string; id: string };
		const got = await cli.run(['get', link, '-o', 'out']);
		expect(got.stderr).toBe('');
		expect(got.code).toBe(0);
		expect(await fileSha(cli.path('out/big.bin'))).toBe(sha(big));
		const mine = cli.requests.filter((r) => r.url.includes(id)).map((r) => `${r.method} ${r.url}`);
		expect(mine.filter((line) => line.endsWith('/upload-url')).length).toBe(2);
		expect(mine.filter((line) => /^PUT .*\/parts\/\d+$/.test(line) || line.endsWith('/blob'))).toEqual([]);
	}, 60_000);
});
