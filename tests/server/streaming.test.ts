import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app';
import { FsBlobStore } from '../../server/stores/blob/fs';
import type { BlobStore } from '../../server/stores/blob/types';
import { startSealdrop } from '../../server/start';
import { openSqliteMetaStore } from '../../server/stores/meta/sqlite';
import type { PublicShareInfo } from '../../src/lib/api/types';
import { postgresDatabase } from '../support/meta-databases';
import { postgresAndS3Stores } from '../support/postgres-s3';
import { FAST_TIER } from '../support/tier';
import {
	API,
	bearer,
	captureLogs,
	claim,
	completeShare,
	createHarness,
	createShare,
	outcome,
	putPart,
	readAll,
	type ClientShare,
	type Harness,
	type HarnessOptions,
	listeningConfig,
	tempDir
} from './helpers';

/** Long enough that only a wake-up (never the timer) can end a wait within the test's time. */
const EVENT_ONLY = { waitMs: 60_000, pollMs: 60_000 };

const postgresFs: HarnessOptions['openStores'] = async (config) => {
	const db = await postgresDatabase('stream');
	const meta = await db.open();
	const blobs = await FsBlobStore.open(join(config.dataDir, 'blobs'));
	return {
		meta,
		blobs,
		close: async () => {
			await meta.close();
			await db.drop();
		}
	};
};

/** S3 stores each part as its own object (stores/blob/s3.ts), which reads before complete. */
const postgresAndS3 = postgresAndS3Stores('stream');

const BACKENDS = [
	{ name: 'sqlite + fs', openStores: undefined },
	...(FAST_TIER
		? []
		: [
				{ name: 'postgres + fs', openStores: postgresFs },
				{ name: 'postgres + s3', openStores: postgresAndS3 }
			])
];

describe.each(BACKENDS)('a share read while it is still uploading ($name)', ({ openStores }) => {
	let h: Harness;
	afterEach(async () => {
		await h?.close();
	});

	const start = (timing = EVENT_ONLY) => createHarness({ openStores, app: { streamTiming: timing } });
	const blob = (share: ClientShare, ticket: string, range?: string) =>
		h.api(`/shares/${share.id}/blob`, { headers: { ...bearer(ticket), ...(range ? { range } : {}) } });
	const info = async (share: ClientShare) => (await (await h.api(`/shares/${share.id}`)).json()) as PublicShareInfo;

	it('public info says uploading, with the bytes received and when the uploader was last heard from', async () => {
		h = await start();
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		expect(await info(share)).toMatchObject({ state: 'uploading', streamable: true, received: 0, size: 3000, downloadsLeft: 1 });
		h.clock.advance(5000);
		expect((await putPart(h, share, 0)).status).toBe(200);
		expect(await info(share)).toMatchObject({ state: 'uploading', received: 1024, uploaderSeenAt: h.clock.now() });
		const metadata = await h.api(`/shares/${share.id}/metadata`, { headers: bearer(share.readToken) });
		expect(metadata.status).toBe(200);
		await (await putPart(h, share, 1)).text();
		await (await putPart(h, share, 2)).text();
		expect((await completeShare(h, share)).status).toBe(200);
		const ready = await info(share);
		expect(ready.state).toBe('ready');
		expect(ready.received).toBeUndefined();
	});

	it('a claim during the upload spends the download: a limit of 1 is one recipient', async () => {
		h = await start();
		const share = await createShare(h, { size: 3000, partSize: 1024, maxDownloads: 1 });
		const first = await claim(h, share);
		expect(first).toMatchObject({ downloads: 1, downloadsLeft: 0 });
		const again = () => h.api(`/shares/${share.id}/claim`, { method: 'POST', headers: bearer(share.readToken) });
		expect(await outcome(await again())).toBe('410 DOWNLOAD_LIMIT_REACHED');
		// Public info still follows the upload (the recipient shows the sender's progress).
		expect(await info(share)).toMatchObject({ state: 'uploading', downloadsLeft: 0 });
		// The one ticket still reads the whole share as it arrives, and after complete.
		for (let n = 0; n < 3; n++) await (await putPart(h, share, n)).text();
		expect((await completeShare(h, share)).status).toBe(200);
		expect(await outcome(await again())).toBe('410 DOWNLOAD_LIMIT_REACHED');
		expect(await outcome(await h.api(`/shares/${share.id}`))).toBe('410 DOWNLOAD_LIMIT_REACHED');
		expect((await readAll((await blob(share, first.ticket)).body!)).equals(share.bytes)).toBe(true);
	});

	it('concurrent claims on an uploading share: exactly one wins', async () => {
		h = await start();
		const share = await createShare(h, { size: 3000, partSize: 1024, maxDownloads: 1 });
		const answers = await Promise.all(
			Array.from({ length: 6 }, () => h.api(`/shares/${share.id}/claim`, { method: 'POST', headers: bearer(share.readToken) }))
		);
		const outcomes = await Promise.all(answers.map(outcome));
		expect(outcomes.filter((o) => o === '200')).toHaveLength(1);
		expect(
			outcomes.filter((o) => o !== '200'),
			outcomes.join()
		).toEqual(Array(5).fill('410 DOWNLOAD_LIMIT_REACHED'));
	});

	it('a read of a part not yet uploaded waits for it, woken by the part (no polling), then streams the rest as it arrives', async () => {
		h = await start();
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		const { ticket } = await claim(h, share);
		let answered = false;
		const waiting = blob(share, ticket, 'bytes=1000-2999').then((response) => ((answered = true), response));
		// The first part needed (part 0) is not there: nothing is answered yet.
		await (await putPart(h, share, 1)).text();
		expect(answered).toBe(false);
		await (await putPart(h, share, 0)).text();
		const response = await waiting;
		expect(response.status).toBe(206);
		expect(response.headers.get('content-range')).toBe('bytes 1000-2999/3000');
		const reader = response.body!.getReader();
		const body = readAll(
			new ReadableStream({
				async pull(controller) {
					const { done, value } = await reader.read();
					if (done) controller.close();
					else controller.enqueue(value);
				}
			})
		);
		// Parts 0 and 1 are served; part 2 is waited for inside the body.
		await (await putPart(h, share, 2)).text();
		expect((await body).equals(share.bytes.subarray(1000, 3000))).toBe(true);
	});

	it('a resumed upload: the parts list says what was received, a part sent again replaces it for readers and for the seal', async () => {
		h = await start();
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		const { ticket } = await claim(h, share);
		const wrong = Buffer.alloc(1024, 7);
		await (await putPart(h, share, 0, wrong)).text();
		await (await putPart(h, share, 2)).text();
		const status = await h.api(`/shares/${share.id}/parts`, { headers: bearer(share.ownerToken) });
		expect(await status.json()).toMatchObject({ parts: 3, received: [0, 2], complete: false });
		expect((await readAll((await blob(share, ticket, 'bytes=0-1023')).body!)).equals(wrong)).toBe(true);
		// The client resumes: part 0 again (the right bytes this time), then the missing part 1.
		await (await putPart(h, share, 0)).text();
		expect((await readAll((await blob(share, ticket, 'bytes=0-1023')).body!)).equals(share.bytes.subarray(0, 1024))).toBe(true);
		await (await putPart(h, share, 1)).text();
		expect((await completeShare(h, share)).status).toBe(200);
		expect((await readAll((await blob(share, ticket)).body!)).equals(share.bytes)).toBe(true);
	});

	it('after complete, the same ticket reads the sealed blob', async () => {
		h = await start();
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		const { ticket } = await claim(h, share);
		for (let n = 0; n < 3; n++) await (await putPart(h, share, n)).text();
		const early = await blob(share, ticket, 'bytes=0-1023');
		expect((await readAll(early.body!)).equals(share.bytes.subarray(0, 1024))).toBe(true);
		expect((await completeShare(h, share)).status).toBe(200);
		expect((await readAll((await blob(share, ticket)).body!)).equals(share.bytes)).toBe(true);
	});

	it('a wait that runs out answers 425 NOT_YET_UPLOADED with the bytes received so far', async () => {
		h = await start({ waitMs: 150, pollMs: 50 });
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		const { ticket } = await claim(h, share);
		await (await putPart(h, share, 0)).text();
		const response = await blob(share, ticket, 'bytes=2048-2999');
		expect(response.status).toBe(425);
		expect(await response.json()).toMatchObject({ error: { code: 'NOT_YET_UPLOADED', details: { received: 1024 } } });
	});

	it('an upload deleted by its owner ends a waiting read with 410 UPLOAD_ABANDONED', async () => {
		h = await start();
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		const { ticket } = await claim(h, share);
		const waiting = blob(share, ticket, 'bytes=0-99');
		const deleted = await h.api(`/shares/${share.id}`, { method: 'DELETE', headers: bearer(share.ownerToken) });
		expect(deleted.status).toBe(204);
		expect(await outcome(await waiting)).toBe('410 UPLOAD_ABANDONED');
		expect(await outcome(await blob(share, ticket, 'bytes=0-99'))).toBe('410 UPLOAD_ABANDONED');
	});

	it('an uploader silent past SEALDROP_ABANDON_AFTER is UPLOAD_ABANDONED to its reader, before the sweeper runs', async () => {
		h = await start();
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		const { ticket } = await claim(h, share);
		await (await putPart(h, share, 0)).text();
		h.clock.advance(h.config.abandonAfter * 1000);
		expect(await outcome(await blob(share, ticket, 'bytes=1024-1100'))).toBe('410 UPLOAD_ABANDONED');
		expect(await outcome(await h.api(`/shares/${share.id}`))).toBe('410 EXPIRED');
	});

	it('a waiting read whose upload is abandoned mid-body breaks off: never a short body that looks complete', async () => {
		h = await start({ waitMs: 60_000, pollMs: 50 });
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		const { ticket } = await claim(h, share);
		await (await putPart(h, share, 0)).text();
		const response = await blob(share, ticket);
		expect(response.status).toBe(200);
		const body = readAll(response.body!);
		h.clock.advance(h.config.abandonAfter * 1000);
		await expect(body).rejects.toMatchObject({ code: 'UPLOAD_ABANDONED' });
	});
});

describe('streaming needs a blob store that reads unfinished parts', () => {
	let h: Harness;
	afterEach(async () => {
		await h?.close();
	});

	it('without one (as S3 in direct mode), public info says streamable: false and nothing is served before complete', async () => {
		// The store's methods but readUploadingPart: a store that cannot read unfinished parts.
		const withoutParts = (blobs: BlobStore): BlobStore => ({
			begin: (id) => blobs.begin(id),
			putPart: (...args) => blobs.putPart(...args),
			complete: (...args) => blobs.complete(...args),
			read: (...args) => blobs.read(...args),
			delete: (...args) => blobs.delete(...args),
			size: (id) => blobs.size(id)
		});
		h = await createHarness({ wrapBlobs: withoutParts });
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		expect(await (await h.api(`/shares/${share.id}`)).json()).toMatchObject({ state: 'uploading', streamable: false });
		expect(await outcome(await h.api(`/shares/${share.id}/claim`, { method: 'POST', headers: bearer(share.readToken) }))).toBe(
			'409 NOT_READY'
		);
	});
});

describe('a share whose upload the store cannot read unfinished (S3: begun as a multipart upload, before part objects)', () => {
	let h: Harness;
	afterEach(async () => {
		await h?.close();
	});

	it('is not streamed: public info says streamable: false and claim answers NOT_READY until complete', async () => {
		const refusing = (blobs: BlobStore): BlobStore =>
			Object.assign(Object.create(blobs) as BlobStore, {
				readsUpload: () => false,
				readUploadingPart: blobs.readUploadingPart!.bind(blobs)
			});
		h = await createHarness({ wrapBlobs: refusing, app: { streamTiming: EVENT_ONLY } });
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		await (await putPart(h, share, 0)).text();
		expect(await (await h.api(`/shares/${share.id}`)).json()).toMatchObject({ state: 'uploading', streamable: false });
		const early = await h.api(`/shares/${share.id}/claim`, { method: 'POST', headers: bearer(share.readToken) });
		expect(await outcome(early)).toBe('409 NOT_READY');
		for (let n = 1; n < 3; n++) await (await putPart(h, share, n)).text();
		expect((await completeShare(h, share)).status).toBe(200);
		const { ticket } = await claim(h, share);
		expect((await readAll((await h.api(`/shares/${share.id}/blob`, { headers: bearer(ticket) })).body!)).equals(share.bytes)).toBe(true);
	});
});

describe('two app instances sharing one SQLite file and one blob directory', () => {
	let h: Harness;
	afterEach(async () => {
		await h?.close();
	});

	it('a read waiting on instance B is served when the part reaches instance A (B polls the database)', async () => {
		// A: the harness's app. B: another app on its own connection to the same file, whose
		// wake-ups A never sends, so only its polling can see the part.
		h = await createHarness({ app: { streamTiming: EVENT_ONLY } });
		const metaB = await openSqliteMetaStore({ file: join(h.config.dataDir, 'sealdrop.sqlite') });
		try {
			const blobsB = await FsBlobStore.open(h.blobDir);
			const b = createApp({
				config: h.config,
				clock: h.clock,
				meta: metaB,
				blobs: blobsB,
				logger: captureLogs().logger,
				streamTiming: { waitMs: 60_000, pollMs: 50 }
			});
			const share = await createShare(h, { size: 3000, partSize: 1024 });
			const claimed = await b.request(`${API}/shares/${share.id}/claim`, { method: 'POST', headers: bearer(share.readToken) });
			const { ticket } = (await claimed.json()) as { ticket: string };
			const waiting = b.request(`${API}/shares/${share.id}/blob`, { headers: bearer(ticket) });
			for (let n = 0; n < 3; n++) await (await putPart(h, share, n)).text();
			const response = await waiting;
			expect(response.status).toBe(200);
			expect((await readAll(response.body!)).equals(share.bytes)).toBe(true);
		} finally {
			await metaB.close();
		}
	});
});

describe('a graceful shutdown while reads wait for parts', () => {
	it('ends them at once: a read not yet answered gets 503 (retry in a second), a body waiting mid-way is cut', async () => {
		const dir = await tempDir();
		const config = { ...listeningConfig(dir), partSize: { min: 1024, max: 1024 * 1024, preferred: 1024 } };
		// Waits of a minute: without the shutdown ending them, close() would take its whole grace period (10 s).
		const server = await startSealdrop(config, { logger: captureLogs().logger, streamTiming: EVENT_ONLY });
		try {
			const h = { api: (path: string, init?: RequestInit) => fetch(`${server.url}${API}${path}`, init) } as unknown as Harness;
			const share = await createShare(h, { size: 3000, partSize: 1024 });
			const { ticket } = await claim(h, share);
			await (await putPart(h, share, 0)).text();
			const url = `${server.url}${API}/shares/${share.id}/blob`;
			// Answered: part 0 streams, then the body waits for part 1.
			const streaming = await fetch(url, { headers: bearer(ticket) });
			expect(streaming.status).toBe(200);
			const reader = streaming.body!.getReader();
			let got = 0;
			while (got < 1024) got += (await reader.read()).value!.byteLength;
			// Not answered yet: its first part (2) is not there.
			const arrived = new Promise((resolve) => server.httpServer.once('request', resolve));
			const waiting = fetch(url, { headers: { ...bearer(ticket), range: 'bytes=2048-' } });
			await arrived;
			await server.close();
			const refused = await waiting;
			expect(refused.status).toBe(503);
			expect(refused.headers.get('retry-after')).toBe('1');
			expect(await refused.json()).toMatchObject({ error: { code: 'UNAVAILABLE' } });
			await expect(reader.read()).rejects.toThrow();
		} finally {
			await server.close();
			await rm(dir, { recursive: true, force: true });
		}
	});
});
