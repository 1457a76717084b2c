import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../server/config/schema';
import { COMPLETE_LEASE_MS } from '../../server/shares/upload';
import type { BlobStore } from '../../server/stores/blob/types';
import { sweep } from '../../server/sweeper';
import { postgresAndS3Stores } from '../support/postgres-s3';
import {
	API,
	asBody,
	bearer,
	claim,
	completeShare,
	createHarness,
	createShare,
	outcome,
	partBytes,
	putPart,
	streamInit,
	uploadAll,
	type ClientShare,
	type Harness,
	type HarnessOptions
} from './helpers';
import { withServices } from '../support/tier';

/**
 * `complete` racing part uploads of the same share (docs/API.md, "Complete"): complete either
 * refuses, or the share is ready and every read returns its whole, right bytes; a racing part is
 * refused with a documented code, never a 500.
 */
const postgresAndS3 = postgresAndS3Stores('race');

const KiB = 1024;
/** Parts big enough that a part upload is still streaming while complete runs. */
const PART = 4 * 1024 * KiB;
const SIZE = PART + 100 * KiB;
const TRIALS = 12;
const RACERS = 4;
const bigParts = (config: Config): Config => ({ ...config, partSize: { min: 64 * KiB, max: 8 * 1024 * KiB, preferred: PART } });

/**
 * A part body handed out in 64 KiB pieces as the server reads. `halfway` resolves once half of it
 * has been read (the store is then writing this part); a held body then waits for `gate` before
 * giving the rest, so complete surely runs while this part is half-written.
 */
function racingBody(bytes: Uint8Array, gate?: Promise<void>): { stream: ReadableStream<Uint8Array>; halfway: Promise<void> } {
	let offset = 0;
	let reached!: () => void;
	const halfway = new Promise<void>((resolve) => (reached = resolve));
	const stream = new ReadableStream<Uint8Array>(
		{
			async pull(controller) {
				if (offset >= bytes.length / 2) {
					reached();
					await gate;
				}
				if (offset >= bytes.length) return controller.close();
				controller.enqueue(bytes.slice(offset, offset + 64 * KiB));
				offset += 64 * KiB;
			}
		},
		{ highWaterMark: 0 }
	);
	return { stream, halfway };
}

const RACING_PART_OUTCOMES = ['200', '409 ALREADY_COMPLETE', '503 UNAVAILABLE'];

interface Tally {
	ready: number;
	readyShort: number;
	refused: Record<string, number>;
	partOutcomes: Record<string, number>;
}

/** Every part sent, then RACERS re-sends of part 0 (its same bytes) with complete fired while they stream. */
async function trial(h: Harness, tally: Tally): Promise<void> {
	const share = await createShare(h, { size: SIZE, partSize: PART });
	await uploadAll(h, share);
	let open!: () => void;
	const gate = new Promise<void>((resolve) => (open = resolve));
	// Half of the racers are held mid-part until complete has answered; the others run freely.
	const bodies = Array.from({ length: RACERS }, (_, i) => racingBody(partBytes(share, 0), i % 2 === 0 ? gate : undefined));
	const parts = bodies.map(({ stream }) =>
		h.app.request(`${API}/shares/${share.id}/parts/0`, streamInit('PUT', stream, bearer(share.ownerToken)))
	);
	await Promise.race(bodies.map((body) => body.halfway));
	const completed = await outcome(
		await h.app.request(`${API}/shares/${share.id}/complete`, { method: 'POST', headers: bearer(share.ownerToken) })
	);
	open();
	for (const response of await Promise.all(parts)) {
		const result = await outcome(response);
		tally.partOutcomes[result] = (tally.partOutcomes[result] ?? 0) + 1;
	}
	if (completed !== '200') {
		tally.refused[completed] = (tally.refused[completed] ?? 0) + 1;
		return;
	}
	tally.ready++;
	if (!(await readsWhole(h, share))) tally.readyShort++;
}

async function readsWhole(h: Harness, share: ClientShare): Promise<boolean> {
	if ((await h.blobs.size?.(share.id)) !== share.bytes.length) return false;
	const { ticket } = await claim(h, share);
	const whole = await h.app.request(`${API}/shares/${share.id}/blob`, { headers: bearer(ticket) });
	return whole.status === 200 && Buffer.from(await whole.arrayBuffer()).equals(share.bytes);
}

describe.each<{ name: string; options: HarnessOptions }>([
	{ name: 'sqlite + fs', options: { config: bigParts } },
	...withServices({ name: 'postgres + s3', options: { config: bigParts, openStores: postgresAndS3 } })
])('complete racing part uploads on $name', ({ name, options }) => {
	let h: Harness;
	afterEach(async () => {
		await h?.close();
	});

	it(`never leaves a ready share short, and refuses racing parts with a documented code (${TRIALS} trials)`, async () => {
		h = await createHarness(options);
		const tally: Tally = { ready: 0, readyShort: 0, refused: {}, partOutcomes: {} };
		for (let i = 0; i < TRIALS; i++) await trial(h, tally);
		// The figures for the record (docs and the change's notes quote them).
		console.log(`complete race on ${name}: ${JSON.stringify(tally)}`);
		expect(tally.readyShort).toBe(0);
		for (const code of Object.keys(tally.refused)) expect(['409 MISSING_PARTS', '409 ALREADY_COMPLETE']).toContain(code);
		for (const code of Object.keys(tally.partOutcomes)) expect(RACING_PART_OUTCOMES).toContain(code);
	}, 120_000);
});

describe.each<{ name: string; options: HarnessOptions }>([
	{ name: 'sqlite + fs', options: {} },
	...withServices({ name: 'postgres + s3', options: { openStores: postgresAndS3 } })
])('complete checks what it sealed, on $name', ({ options }) => {
	let h: Harness;
	afterEach(async () => {
		await h?.close();
	});

	it('never marks a share ready whose sealed blob is short: the upload starts again', async () => {
		let truncate = true;
		// A store that seals one part too few (as a part upload racing CompleteMultipartUpload did on s3rver).
		const truncating = (blobs: BlobStore): BlobStore =>
			Object.assign(Object.create(blobs) as BlobStore, {
				complete: (blob: Parameters<BlobStore['complete']>[0], parts: Parameters<BlobStore['complete']>[1]) =>
					blobs.complete(blob, truncate ? parts.slice(0, -1) : parts)
			});
		h = await createHarness({ ...options, wrapBlobs: truncating });
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		await uploadAll(h, share);
		const refused = await completeShare(h, share);
		expect(refused.status).toBe(409);
		expect(await refused.json()).toMatchObject({ error: { code: 'MISSING_PARTS', details: { missing: [0, 1, 2] } } });
		expect(await h.meta.shares.get(share.id)).toMatchObject({ state: 'uploading', completingSince: null });
		expect(await (await h.api(`/shares/${share.id}`)).json()).toMatchObject({ state: 'uploading', received: 0 });
		const status = await h.api(`/shares/${share.id}/parts`, { headers: bearer(share.ownerToken) });
		expect(await status.json()).toMatchObject({ received: [], complete: false });

		// The client sends every part again, to the new upload, and completes.
		truncate = false;
		await uploadAll(h, share);
		expect(await outcome(await completeShare(h, share))).toBe('200');
		expect(await readsWhole(h, share)).toBe(true);
	});

	it('a complete that died midway is taken over after its lease, and parts meanwhile wait (503)', async () => {
		h = await createHarness(options);
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		await uploadAll(h, share);
		// Another instance took the share to complete it, and crashed.
		expect(await h.meta.parts.beginCompleting(share.id, h.clock.now(), h.clock.now() - COMPLETE_LEASE_MS)).toBe(true);
		// h.api fails a test on any 5xx: these 503s are asked for directly.
		const part = await h.app.request(`${API}/shares/${share.id}/parts/0`, {
			method: 'PUT',
			body: asBody(partBytes(share, 0)),
			headers: bearer(share.ownerToken)
		});
		expect(await outcome(part)).toBe('503 UNAVAILABLE');
		const waiting = await h.app.request(`${API}/shares/${share.id}/complete`, { method: 'POST', headers: bearer(share.ownerToken) });
		expect(await outcome(waiting.clone())).toBe('503 UNAVAILABLE');
		expect(waiting.headers.get('retry-after')).toBe('1');
		expect(await waiting.json()).toMatchObject({ error: { details: { completing: true } } });

		h.clock.advance(COMPLETE_LEASE_MS);
		expect(await outcome(await completeShare(h, share))).toBe('200');
		expect(await readsWhole(h, share)).toBe(true);
	});

	it('a share stuck completing is swept as abandoned', async () => {
		h = await createHarness(options);
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		await uploadAll(h, share);
		h.clock.advance(1000);
		expect(await h.meta.parts.beginCompleting(share.id, h.clock.now(), h.clock.now() - COMPLETE_LEASE_MS)).toBe(true);
		const deps = { config: h.config, clock: h.clock, meta: h.meta, blobs: h.blobs, logger: h.logs.logger };
		h.clock.advance(h.config.abandonAfter * 1000 - 1);
		expect((await sweep(deps)).abandoned).toBe(0);
		h.clock.advance(1);
		expect(await sweep(deps)).toMatchObject({ abandoned: 1, blobsDeleted: 1 });
		expect(await outcome(await completeShare(h, share))).toBe('410 EXPIRED');
	});
});

describe('complete on the filesystem store', () => {
	let h: Harness;
	afterEach(async () => {
		await h?.close();
	});

	it('does not seal a copy of a part that was stored but not recorded when it listed the parts', async () => {
		// Holds the racing part between storing and recording it: the window complete must survive.
		let stored!: () => void;
		const storedPromise = new Promise<void>((resolve) => (stored = resolve));
		let release!: () => void;
		const gate = new Promise<void>((resolve) => (release = resolve));
		let hold = false;
		const holding = (blobs: BlobStore): BlobStore =>
			Object.assign(Object.create(blobs) as BlobStore, {
				async putPart(...args: Parameters<BlobStore['putPart']>) {
					const result = await blobs.putPart(...args);
					if (hold) {
						stored();
						await gate;
					}
					return result;
				}
			});
		h = await createHarness({ wrapBlobs: holding });
		const share = await createShare(h, { size: 3000, partSize: 1024 });
		await uploadAll(h, share);
		const other = randomBytes(1024);
		hold = true;
		const racing = h.app.request(`${API}/shares/${share.id}/parts/0`, {
			method: 'PUT',
			body: asBody(other),
			headers: bearer(share.ownerToken)
		});
		await storedPromise;
		hold = false;
		const first = await outcome(await completeShare(h, share));
		release();
		const racer = await outcome(await racing);
		expect(['200', '409 MISSING_PARTS']).toContain(first);
		expect(RACING_PART_OUTCOMES).toContain(racer);
		// Whatever was answered, the blob holds exactly the accepted bytes of each part.
		const accepted = Buffer.from(share.bytes);
		if (first === '200') {
			expect(await readsWhole(h, share)).toBe(true);
			expect(racer).toBe('409 ALREADY_COMPLETE');
			return;
		}
		if (racer === '200') other.copy(accepted, 0);
		else expect(await outcome(await putPart(h, share, 0))).toBe('200');
		expect(await outcome(await completeShare(h, share))).toBe('200');
		expect(await readsWhole(h, { ...share, bytes: accepted })).toBe(true);
	});
});
