import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { b64, createBody, createHarness, DEFAULT_HEADER, jsonInit, outcome, streamInit, watchedStream, type Harness } from './helpers';

const tokens = () => ({ owner: randomBytes(32), read: randomBytes(32) });

describe('POST /shares', () => {
	let h: Harness;
	beforeEach(async () => {
		h = await createHarness();
	});
	afterEach(async () => {
		await h.close();
	});

	const create = (body: unknown, headers?: Record<string, string>) => h.api('/shares', jsonInit('POST', body, headers));
	const valid = () => createBody({ size: 2500, partSize: 1024 }, tokens());

	it('creates an uploading share and reports its parts', async () => {
		const body = valid();
		const response = await create(body);
		expect(response.status).toBe(201);
		expect(response.headers.get('cache-control')).toBe('no-store');
		const created = (await response.json()) as { id: string; parts: number; uploadExpiresAt: number };
		expect(created.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
		expect(created.parts).toBe(3);
		expect(created.uploadExpiresAt).toBe(h.clock.now() + h.config.abandonAfter * 1000);

		const row = await h.meta.shares.get(created.id);
		expect(row).toMatchObject({ state: 'uploading', size: 2500, partSize: 1024, parts: 3, downloads: 0, expiresAt: null });
		expect(b64(row?.header as Uint8Array)).toBe(body.header);
		expect(b64(row?.ownerTokenHash as Uint8Array)).toBe(body.ownerTokenHash);
		const audit = h.logs.lines.find((line) => line.audit === 'share.create');
		expect(audit).toMatchObject({ shareId: created.id, size: 2500, parts: 3 });
	});

	it('gives every share a new id', async () => {
		const ids = new Set<string>();
		for (let i = 0; i < 5; i++) ids.add(((await (await create(valid())).json()) as { id: string }).id);
		expect(ids.size).toBe(5);
	});

	it('accepts a single part smaller than the minimum part size', async () => {
		expect(await outcome(await create({ ...valid(), size: 16, partSize: 16 }))).toBe('201');
		expect(await outcome(await create({ ...valid(), size: 16, partSize: 1024 }))).toBe('201');
	});

	/** DEFAULT_HEADER with other Argon2 costs (FORMAT.md §2: memory at 42, passes at 46). */
	const withArgon2 = (memoryKiB: number, passes: number): Buffer => {
		const bytes = Buffer.from(DEFAULT_HEADER);
		bytes.writeUInt32BE(memoryKiB, 42);
		bytes.writeUInt32BE(passes, 46);
		return bytes;
	};

	it('stores a header of a later version as it is: only its readers know its rules', async () => {
		const future = Buffer.from(DEFAULT_HEADER);
		future[4] = 3;
		expect((await create({ ...valid(), header: b64(future) })).status).toBe(201);
	});

	it('names the reader error of a header no reader would open', async () => {
		const response = await create({ ...valid(), header: b64(withArgon2(0xffffffff, 3)) });
		expect(await response.json()).toMatchObject({ error: { code: 'INVALID_REQUEST', message: expect.stringContaining('KDF_TOO_COSTLY') } });
	});

	const invalid: [string, (body: ReturnType<typeof valid>) => unknown, string][] = [
		['size', (b) => ({ ...b, size: 0 }), 'size'],
		['size', (b) => ({ ...b, size: 1.5 }), 'size'],
		['size', (b) => ({ ...b, size: '2500' }), 'size'],
		['partSize', (b) => ({ ...b, partSize: 512 }), 'partSize'],
		['partSize', (b) => ({ ...b, partSize: 64 * 1024 + 1 }), 'partSize'],
		['expiresIn', (b) => ({ ...b, expiresIn: 1234 }), 'expiresIn'],
		['maxDownloads', (b) => ({ ...b, maxDownloads: 3 }), 'maxDownloads'],
		['maxDownloads', (b) => ({ ...b, maxDownloads: undefined }), 'maxDownloads'],
		['header', (b) => ({ ...b, header: '' }), 'header'],
		['header', (b) => ({ ...b, header: b64(randomBytes(1025)) }), 'header'],
		['header', (b) => ({ ...b, header: 'not base64!' }), 'header'],
		['header', (b) => ({ ...b, header: `${b.header}=` }), 'header'],
		['header', (b) => ({ ...b, header: b64(Buffer.alloc(83, 7)) }), 'header'],
		['header', (b) => ({ ...b, header: b64(withArgon2(0xffffffff, 3)) }), 'header'],
		['header', (b) => ({ ...b, header: b64(withArgon2(65536, 0xffffffff)) }), 'header'],
		['metadata', (b) => ({ ...b, metadata: '' }), 'metadata'],
		['readTokenHash', (b) => ({ ...b, readTokenHash: b64(randomBytes(31)) }), 'readTokenHash'],
		['ownerTokenHash', (b) => ({ ...b, ownerTokenHash: undefined }), 'ownerTokenHash'],
		['body', () => [1, 2], 'body'],
		['an unknown field', (b) => ({ ...b, maxDownload: 5 }), 'body']
	];
	for (const [name, change, field] of invalid) {
		it(`refuses a bad ${name} with 400 naming it (${JSON.stringify(change(valid())).slice(0, 40)}…)`, async () => {
			const response = await create(change(valid()));
			expect(response.status).toBe(400);
			const { error } = (await response.json()) as { error: { code: string; message: string; details: { field: string } } };
			expect(error.code).toBe('INVALID_REQUEST');
			expect(error.details.field).toBe(field);
			expect(error.message.startsWith(`${field}:`)).toBe(true);
		});
	}

	it('refuses too many parts', async () => {
		h.config.maxParts = 2;
		const response = await create(valid());
		expect(await outcome(response)).toBe('400 INVALID_REQUEST');
	});

	it('answers 413 for a size above maxShareBytes', async () => {
		const response = await create({ ...valid(), size: h.config.maxShareBytes + 1, partSize: 64 * 1024 });
		expect(response.status).toBe(413);
		expect(await response.json()).toMatchObject({ error: { code: 'TOO_LARGE', details: { field: 'size' } } });
	});

	it('answers 413 for metadata above maxMetadataBytes', async () => {
		const response = await create({ ...valid(), metadata: b64(randomBytes(h.config.maxMetadataBytes + 1)) });
		expect(response.status).toBe(413);
		expect(await response.json()).toMatchObject({ error: { code: 'TOO_LARGE', details: { field: 'metadata' } } });
		// …while metadata of exactly the limit fits in the JSON body limit.
		expect(await outcome(await create({ ...valid(), metadata: b64(randomBytes(h.config.maxMetadataBytes)) }))).toBe('201');
	});

	it('answers 415 for a body that is not JSON', async () => {
		const text = JSON.stringify(valid());
		expect(await outcome(await h.api('/shares', { method: 'POST', body: text }))).toBe('415 UNSUPPORTED_MEDIA_TYPE');
		expect(await outcome(await h.api('/shares', { method: 'POST', body: text, headers: { 'content-type': 'text/plain' } }))).toBe(
			'415 UNSUPPORTED_MEDIA_TYPE'
		);
		expect(
			await outcome(await h.api('/shares', { method: 'POST', body: text, headers: { 'content-type': 'application/json; charset=utf-8' } }))
		).toBe('201');
	});

	it('answers 400 for malformed JSON', async () => {
		const response = await h.api('/shares', { method: 'POST', body: '{"size":', headers: { 'content-type': 'application/json' } });
		expect(await outcome(response)).toBe('400 INVALID_REQUEST');
	});

	it('refuses an oversized body by its Content-Length without reading it', async () => {
		const watched = watchedStream(new Uint8Array(10));
		const response = await h.api(
			'/shares',
			streamInit('POST', watched.stream, { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) })
		);
		expect(await outcome(response)).toBe('413 TOO_LARGE');
		expect(watched.pulled()).toBe(false);
	});

	it('stops reading an oversized streamed body', async () => {
		let sent = 0;
		const chunk = new Uint8Array(64 * 1024).fill(32);
		const endless = new ReadableStream<Uint8Array>({
			pull(controller) {
				sent += chunk.length;
				controller.enqueue(chunk);
			}
		});
		const response = await h.api('/shares', streamInit('POST', endless, { 'content-type': 'application/json' }));
		expect(await outcome(response)).toBe('413 TOO_LARGE');
		expect(sent).toBeLessThan(h.config.maxMetadataBytes * 2);
	});
});

describe('POST /shares with the real part limits', () => {
	it('needs 5 MiB … 64 MiB parts unless the share is one part', async () => {
		const h = await createHarness({ smallParts: false });
		try {
			const body = (size: number, partSize: number) => createBody({ size, partSize }, tokens());
			const create = async (size: number, partSize: number) => outcome(await h.api('/shares', jsonInit('POST', body(size, partSize))));
			expect(await create(20 * 1024 * 1024, 5 * 1024 * 1024)).toBe('201');
			expect(await create(20 * 1024 * 1024, 8390656)).toBe('201');
			expect(await create(20 * 1024 * 1024, 5 * 1024 * 1024 - 1)).toBe('400 INVALID_REQUEST');
			expect(await create(200 * 1024 * 1024, 64 * 1024 * 1024 + 1)).toBe('400 INVALID_REQUEST');
			expect(await create(1000, 1000)).toBe('201');
			expect(await create(1001, 1000)).toBe('400 INVALID_REQUEST');
		} finally {
			await h.close();
		}
	});
});
