/** File requests over HTTP (docs/API.md, "File requests"), on SQLite and PostgreSQL. */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../server/accounts/passwords';
import { loadConfig } from '../../server/config/load';
import type { Config } from '../../server/config/schema';
import { createLogger } from '../../server/logger';
import { openStores } from '../../server/stores/open';
import { sweep } from '../../server/sweeper';
import type { CreateShareResponse, PublicRequestInfo, SubmissionList } from '../../src/lib/api/types';
import {
	createShareKeys,
	encodeHeader,
	generateRequestKeyPair,
	generateSecret,
	requestKeyTag,
	sealRequestInfo
} from '../../src/lib/crypto';
import { freshSchema } from '../support/postgres';
import { withServices } from '../support/tier';
import { asBody, b64, bearer, createHarness, jsonInit, listFiles, outcome, sha256, type Harness, type HarnessOptions } from './helpers';

const DAY = 86400;

/** A fresh schema of the test run's PostgreSQL; several harnesses may open it (instances). */
async function postgresSchema() {
	const schema = await freshSchema('requests');
	const open = async (config: Config) => {
		const stores = await openStores(
			loadConfig({ SEALDROP_DATA_DIR: config.dataDir, SEALDROP_DATABASE_URL: schema.url }),
			createLogger('silent')
		);
		return stores;
	};
	return { schema, open };
}

const BACKENDS: { name: string; options: () => Promise<{ options: HarnessOptions; drop(): Promise<void> }> }[] = [
	{ name: 'sqlite', options: async () => ({ options: {}, drop: async () => {} }) },
	...withServices({
		name: 'postgres',
		options: async () => {
			const { schema, open } = await postgresSchema();
			return { options: { openStores: open }, drop: () => schema.drop() };
		}
	})
];

/** What the requester holds after creating a request. */
interface ClientRequest extends PublicRequestInfo {
	ownerToken: string;
	rs: Uint8Array;
}

async function requestBody(options: { expiresIn?: number; maxSubmissions?: number; maxSubmissionBytes?: number } = {}) {
	const rs = generateSecret();
	const keys = await generateRequestKeyPair();
	const owner = randomBytes(32);
	const body = {
		ownerTokenHash: b64(sha256(owner)),
		publicKey: b64(keys.publicKey),
		keyTag: b64(await requestKeyTag(rs, keys.publicKey)),
		sealedInfo: b64(await sealRequestInfo(rs, { title: 'Receipts', message: 'March, please' })),
		expiresIn: options.expiresIn ?? DAY,
		maxSubmissions: options.maxSubmissions ?? 3,
		maxSubmissionBytes: options.maxSubmissionBytes ?? 10_000
	};
	return { body, rs, owner };
}

async function createRequest(
	h: Harness,
	options: Parameters<typeof requestBody>[0] = {},
	headers: Record<string, string> = {}
): Promise<ClientRequest> {
	const { body, rs, owner } = await requestBody(options);
	const response = await h.api('/requests', jsonInit('POST', body, headers));
	expect(response.status, await response.clone().text()).toBe(201);
	return { ...((await response.json()) as PublicRequestInfo), ownerToken: b64(owner), rs };
}

/** What a submitter holds: its submission (a share) and the tokens it would discard after complete. */
interface ClientSubmission extends CreateShareResponse {
	ownerToken: string;
	readToken: string;
	bytes: Buffer;
	partSize: number;
}

/** A valid submission body: a v2 header without a password (its read token is the real one of that header's secret). */
async function submissionBody(size: number, partSize = 1024) {
	const { headerBytes, keys } = await createShareKeys({ secret: generateSecret() });
	const owner = randomBytes(32);
	const ephemeral = await generateRequestKeyPair();
	return {
		body: {
			size,
			partSize,
			header: b64(headerBytes),
			metadata: b64(randomBytes(256 + 28)),
			readTokenHash: b64(sha256(keys.readToken)),
			ownerTokenHash: b64(sha256(owner)),
			ephemeralKey: b64(ephemeral.publicKey)
		},
		ownerToken: b64(owner),
		readToken: b64(keys.readToken)
	};
}

function postSubmission(h: Harness, requestId: string, body: unknown): Promise<Response> {
	return h.api(`/requests/${requestId}/submissions`, jsonInit('POST', body));
}

async function submit(h: Harness, requestId: string, size = 2500): Promise<ClientSubmission> {
	const made = await submissionBody(size);
	const response = await postSubmission(h, requestId, made.body);
	expect(response.status, await response.clone().text()).toBe(201);
	return {
		...((await response.json()) as CreateShareResponse),
		ownerToken: made.ownerToken,
		readToken: made.readToken,
		bytes: randomBytes(size),
		partSize: 1024
	};
}

async function uploadAndComplete(h: Harness, s: ClientSubmission): Promise<void> {
	for (let n = 0; n < s.parts; n++) {
		const body = s.bytes.subarray(n * s.partSize, (n + 1) * s.partSize);
		expect(
			await outcome(await h.api(`/shares/${s.id}/parts/${n}`, { method: 'PUT', body: asBody(body), headers: bearer(s.ownerToken) }))
		).toBe('200');
	}
	expect(await outcome(await h.api(`/shares/${s.id}/complete`, { method: 'POST', headers: bearer(s.ownerToken) }))).toBe('200');
}

async function list(h: Harness, r: ClientRequest): Promise<SubmissionList> {
	const response = await h.api(`/requests/${r.id}/submissions`, { headers: bearer(r.ownerToken) });
	expect(response.status, await response.clone().text()).toBe(200);
	return (await response.json()) as SubmissionList;
}

async function info(h: Harness, id: string): Promise<PublicRequestInfo> {
	return (await (await h.api(`/requests/${id}`)).json()) as PublicRequestInfo;
}

/** Nothing of a refused submission may be stored: no count, no share row, no blob. */
async function expectNothingStored(h: Harness, r: ClientRequest, submissions: number): Promise<void> {
	expect((await h.meta.requests.get(r.id))?.submissions).toBe(submissions);
	expect((await list(h, r)).submissions).toHaveLength(submissions);
}

describe.each(BACKENDS)('file requests ($name)', ({ options: backend }) => {
	let h: Harness;
	const cleanups: (() => Promise<void>)[] = [];
	async function start(extra: HarnessOptions = {}): Promise<Harness> {
		const made = await backend();
		h = await createHarness({ ...made.options, ...extra });
		cleanups.push(async () => {
			await h.close();
			await made.drop();
		});
		return h;
	}
	afterEach(async () => {
		for (const cleanup of cleanups.splice(0)) await cleanup();
	});

	it('creates a request whose public info carries key, tag, sealed info and limits, and no token', async () => {
		await start();
		const { body, owner } = await requestBody({ maxSubmissions: 2 });
		const response = await h.api('/requests', jsonInit('POST', body));
		expect(response.status).toBe(201);
		const created = (await response.json()) as PublicRequestInfo;
		expect(created).toEqual({
			id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
			state: 'open',
			publicKey: body.publicKey,
			keyTag: body.keyTag,
			sealedInfo: body.sealedInfo,
			createdAt: h.clock.now(),
			expiresAt: h.clock.now() + DAY * 1000,
			maxSubmissions: 2,
			maxSubmissionBytes: 10_000,
			submissions: 0,
			submissionsLeft: 2
		});
		expect(await info(h, created.id)).toEqual(created);
		expect(JSON.stringify(created)).not.toContain(b64(owner));
		expect(h.logs.lines.filter((l) => l.audit === 'request.create')).toMatchObject([{ requestId: created.id, maxSubmissions: 2 }]);
	});

	it('refuses malformed and out-of-range creates with INVALID_REQUEST naming the field', async () => {
		await start();
		const { body } = await requestBody();
		const offCurve = Buffer.from(body.publicKey, 'base64url');
		offCurve[64] = (offCurve[64] as number) ^ 1;
		const cases: [Record<string, unknown>, string][] = [
			[{ ...body, publicKey: b64(offCurve) }, 'publicKey'],
			[{ ...body, keyTag: b64(randomBytes(31)) }, 'keyTag'],
			[{ ...body, expiresIn: 12345 }, 'expiresIn'],
			[{ ...body, maxSubmissions: 0 }, 'maxSubmissions'],
			[{ ...body, maxSubmissions: 1001 }, 'maxSubmissions'],
			[{ ...body, maxSubmissionBytes: h.config.maxShareBytes + 1 }, 'maxSubmissionBytes'],
			[{ ...body, extra: 1 }, 'extra']
		];
		for (const [bad, field] of cases) {
			const response = await h.api('/requests', jsonInit('POST', bad));
			const text = await response.clone().text();
			expect(await outcome(response), field).toBe('400 INVALID_REQUEST');
			expect(text, field).toContain(field);
		}
		expect(await outcome(await h.api('/requests/AAAAAAAAAAAAAAAAAAAAAA'))).toBe('404 NOT_FOUND');
		expect(await outcome(await h.api('/requests/short'))).toBe('400 INVALID_ID');
	});

	it('a submission is uploaded as a share by its submitter and read as a share by the requester only', async () => {
		await start();
		const r = await createRequest(h);
		const s = await submit(h, r.id);
		expect(s.parts).toBe(3);
		expect((await info(h, r.id)).submissions).toBe(1);

		// Uploading: the requester sees it, not yet readable.
		expect((await list(h, r)).submissions).toMatchObject([{ id: s.id, state: 'uploading', size: 2500, completedAt: null }]);
		await uploadAndComplete(h, s);

		const [listed] = (await list(h, r)).submissions;
		expect(listed).toMatchObject({ id: s.id, state: 'ready', size: 2500, downloads: 0 });
		expect(Buffer.from(listed!.ephemeralKey, 'base64url')).toHaveLength(65);
		expect(Buffer.from(listed!.header, 'base64url')[4]).toBe(2);
		// It lives as long as its request, and its requester may read it more than once.
		expect(listed!.expiresAt).toBeGreaterThanOrEqual(r.expiresAt);
		expect(listed!.maxDownloads).toBe(Math.max(...h.config.downloadOptions));

		// The requester's read token (derived from the submission's secret) reads it like any share.
		expect(await outcome(await h.api(`/shares/${s.id}/metadata`, { headers: bearer(s.readToken) }))).toBe('200');
		const claimed = await h.api(`/shares/${s.id}/claim`, { method: 'POST', headers: bearer(s.readToken) });
		const { ticket } = (await claimed.json()) as { ticket: string };
		const blob = await h.api(`/shares/${s.id}/blob`, { headers: bearer(ticket) });
		expect(Buffer.from(await blob.arrayBuffer()).equals(s.bytes)).toBe(true);
	});

	it('the submitter’s owner token neither lists, reads nor changes submissions', async () => {
		await start();
		const r = await createRequest(h);
		const s = await submit(h, r.id);
		await uploadAndComplete(h, s);
		const other = await submit(h, r.id);
		expect(await outcome(await h.api(`/requests/${r.id}/submissions`, { headers: bearer(s.ownerToken) }))).toBe('403 FORBIDDEN');
		expect(await outcome(await h.api(`/requests/${r.id}/submissions`))).toBe('401 UNAUTHORIZED');
		// Its owner token is not a read token, neither for its own submission nor for another.
		expect(await outcome(await h.api(`/shares/${s.id}/metadata`, { headers: bearer(s.ownerToken) }))).toBe('403 FORBIDDEN');
		expect(await outcome(await h.api(`/shares/${s.id}/claim`, { method: 'POST', headers: bearer(s.ownerToken) }))).toBe('403 FORBIDDEN');
		expect(await outcome(await h.api(`/shares/${other.id}/parts`, { headers: bearer(s.ownerToken) }))).toBe('403 FORBIDDEN');
		// Nor can it stretch the submission's life or downloads.
		const patch = await h.api(`/shares/${s.id}`, jsonInit('PATCH', { maxDownloads: 1 }, bearer(s.ownerToken)));
		expect(await outcome(patch)).toBe('403 FORBIDDEN');
		// Nor close the request or delete another submission.
		expect(await outcome(await h.api(`/requests/${r.id}/close`, { method: 'POST', headers: bearer(s.ownerToken) }))).toBe('403 FORBIDDEN');
		const del = await h.api(`/requests/${r.id}/submissions/${other.id}`, { method: 'DELETE', headers: bearer(s.ownerToken) });
		expect(await outcome(del)).toBe('403 FORBIDDEN');
		expect((await list(h, r)).submissions.map((x) => x.id).sort()).toEqual([s.id, other.id].sort());
	});

	it('one submission more than allowed is REQUEST_FULL and stores nothing', async () => {
		await start();
		const r = await createRequest(h, { maxSubmissions: 2 });
		await submit(h, r.id);
		await submit(h, r.id);
		const blobsBefore = await listFiles(h.blobDir).catch(() => []);
		const made = await submissionBody(2500);
		const refused = await postSubmission(h, r.id, made.body);
		expect(await outcome(refused)).toBe('409 REQUEST_FULL');
		await expectNothingStored(h, r, 2);
		expect(await listFiles(h.blobDir).catch(() => [])).toEqual(blobsBefore);
		expect(await info(h, r.id)).toMatchObject({ submissions: 2, submissionsLeft: 0 });
	});

	it('a submission over maxSubmissionBytes is TOO_LARGE and stores nothing', async () => {
		await start();
		const r = await createRequest(h, { maxSubmissionBytes: 2048 });
		const made = await submissionBody(2049);
		const refused = await postSubmission(h, r.id, made.body);
		expect(await outcome(refused.clone())).toBe('413 TOO_LARGE');
		expect(((await refused.json()) as { error: { details: unknown } }).error.details).toEqual({ field: 'size', limit: 2048 });
		await expectNothingStored(h, r, 0);
		await submit(h, r.id, 2048);
	});

	it('an expired request takes nothing (EXPIRED) and the sweeper ends it and its submissions', async () => {
		await start();
		const r = await createRequest(h, { expiresIn: h.config.expiryOptions[0] });
		const s = await submit(h, r.id);
		await uploadAndComplete(h, s);
		const pending = await submit(h, r.id);
		h.clock.advance(h.config.expiryOptions[0]! * 1000);
		const made = await submissionBody(2500);
		expect(await outcome(await postSubmission(h, r.id, made.body))).toBe('410 EXPIRED');
		expect((await h.meta.requests.get(r.id))?.submissions).toBe(2);
		expect(await outcome(await h.api(`/requests/${r.id}`))).toBe('410 EXPIRED');
		expect(await outcome(await h.api(`/requests/${r.id}/submissions`, { headers: bearer(r.ownerToken) }))).toBe('410 EXPIRED');

		const result = await sweep({ ...h, logger: h.logs.logger });
		expect(result.expired).toBe(2);
		expect(h.logs.lines.filter((l) => l.audit === 'request.expire')).toMatchObject([{ requestId: r.id }]);
		const stored = await h.meta.requests.get(r.id);
		expect(stored).toMatchObject({ state: 'expired', ownerTokenHash: null, publicKey: null, sealedInfo: null });
		for (const id of [s.id, pending.id]) {
			expect(await outcome(await h.api(`/shares/${id}`))).toBe('410 EXPIRED');
			expect((await h.meta.shares.get(id))?.ephemeralKey).toBeNull();
		}
		expect(await listFiles(h.blobDir).catch(() => [])).toEqual([]);

		// After the tombstone days, the request is gone as its submissions are: 404.
		h.clock.advance(h.config.tombstoneDays * DAY * 1000);
		await sweep({ ...h, logger: h.logs.logger });
		expect(await outcome(await h.api(`/requests/${r.id}`))).toBe('404 NOT_FOUND');
		expect(await outcome(await h.api(`/shares/${s.id}`))).toBe('404 NOT_FOUND');
	});

	it('a closed request takes nothing (REQUEST_CLOSED) and keeps what it received readable', async () => {
		await start();
		const r = await createRequest(h);
		const s = await submit(h, r.id);
		await uploadAndComplete(h, s);
		const wrong = await h.api(`/requests/${r.id}/close`, { method: 'POST', headers: bearer(b64(randomBytes(32))) });
		expect(await outcome(wrong)).toBe('403 FORBIDDEN');
		const closed = await h.api(`/requests/${r.id}/close`, { method: 'POST', headers: bearer(r.ownerToken) });
		expect(await outcome(closed.clone())).toBe('200');
		expect(await closed.json()).toMatchObject({ state: 'closed', submissions: 1 });
		// Closing twice is fine, and audited once.
		expect(await outcome(await h.api(`/requests/${r.id}/close`, { method: 'POST', headers: bearer(r.ownerToken) }))).toBe('200');
		expect(h.logs.lines.filter((l) => l.audit === 'request.close')).toHaveLength(1);
		const made = await submissionBody(2500);
		expect(await outcome(await postSubmission(h, r.id, made.body))).toBe('410 REQUEST_CLOSED');
		await expectNothingStored(h, r, 1);
		expect((await info(h, r.id)).state).toBe('closed');
		expect(await outcome(await h.api(`/shares/${s.id}/metadata`, { headers: bearer(s.readToken) }))).toBe('200');
	});

	it('the requester deletes a submission; its slot is not given back', async () => {
		await start();
		const r = await createRequest(h, { maxSubmissions: 1 });
		const s = await submit(h, r.id);
		await uploadAndComplete(h, s);
		const other = await createRequest(h);
		const foreign = await h.api(`/requests/${other.id}/submissions/${s.id}`, { method: 'DELETE', headers: bearer(other.ownerToken) });
		expect(await outcome(foreign)).toBe('404 NOT_FOUND');
		const deleted = await h.api(`/requests/${r.id}/submissions/${s.id}`, { method: 'DELETE', headers: bearer(r.ownerToken) });
		expect(deleted.status).toBe(204);
		expect(await outcome(await h.api(`/shares/${s.id}`))).toBe('410 DELETED');
		expect((await list(h, r)).submissions).toEqual([]);
		expect(await outcome(await h.api(`/requests/${r.id}/submissions/${s.id}`, { method: 'DELETE', headers: bearer(r.ownerToken) }))).toBe(
			'404 NOT_FOUND'
		);
		const made = await submissionBody(2500);
		expect(await outcome(await postSubmission(h, r.id, made.body))).toBe('409 REQUEST_FULL');
	});

	it('refuses a submission that could never be opened: not format v2 without a password', async () => {
		await start();
		const r = await createRequest(h);
		const made = await submissionBody(2500);
		const v1 = encodeHeader({ version: 1, recordSize: 65536, salt: new Uint8Array(32), kdf: null, commitment: new Uint8Array(32) });
		const withPassword = encodeHeader({
			version: 2,
			recordSize: 65536,
			salt: new Uint8Array(32),
			kdf: { memoryKiB: 65536, passes: 3, parallelism: 1 },
			commitment: new Uint8Array(32)
		});
		for (const header of [v1, withPassword]) {
			expect(await outcome(await postSubmission(h, r.id, { ...made.body, header: b64(header) }))).toBe('400 INVALID_REQUEST');
		}
		for (const extra of [{ expiresIn: DAY }, { maxDownloads: 1 }, { password: {} }]) {
			expect(await outcome(await postSubmission(h, r.id, { ...made.body, ...extra }))).toBe('400 INVALID_REQUEST');
		}
		expect(await outcome(await postSubmission(h, r.id, { ...made.body, ephemeralKey: b64(randomBytes(65)) }))).toBe('400 INVALID_REQUEST');
		await expectNothingStored(h, r, 0);
	});

	it('checks in the documented order: id, token present, request found and live, then the owner token', async () => {
		await start();
		const r = await createRequest(h, { expiresIn: h.config.expiryOptions[0] });
		const wrong = bearer(b64(randomBytes(32)));
		const listWith = (id: string, headers: Record<string, string>) => h.api(`/requests/${id}/submissions`, { headers });
		expect(await outcome(await listWith('bad', wrong))).toBe('400 INVALID_ID');
		expect(await outcome(await listWith(r.id, {}))).toBe('401 UNAUTHORIZED');
		expect(await outcome(await listWith('AAAAAAAAAAAAAAAAAAAAAA', wrong))).toBe('404 NOT_FOUND');
		expect(await outcome(await listWith(r.id, wrong))).toBe('403 FORBIDDEN');
		h.clock.advance(h.config.expiryOptions[0]! * 1000);
		// Expired: 410 whatever the token, so a wrong one learns nothing more.
		expect(await outcome(await listWith(r.id, wrong))).toBe('410 EXPIRED');
		// A submission to an expired request is EXPIRED even when it is also too large.
		const made = await submissionBody(20_000);
		expect(await outcome(await postSubmission(h, r.id, made.body))).toBe('410 EXPIRED');
	});

	it('exactly maxSubmissions of many simultaneous submissions win', async () => {
		await start();
		const r = await createRequest(h, { maxSubmissions: 3 });
		const bodies = await Promise.all(Array.from({ length: 12 }, () => submissionBody(2500)));
		const outcomes = await Promise.all(bodies.map(async (made) => outcome(await postSubmission(h, r.id, made.body))));
		expect(outcomes.filter((o) => o === '201')).toHaveLength(3);
		expect(outcomes.filter((o) => o === '409 REQUEST_FULL')).toHaveLength(9);
		await expectNothingStored(h, r, 3);
	});
});

describe.each(withServices({ name: 'postgres' }))('file requests across instances ($name)', () => {
	it('one more submission than allowed, raced over two instances on one database: exactly maxSubmissions succeed', async () => {
		const { schema, open } = await postgresSchema();
		const a = await createHarness({ openStores: open });
		const b = await createHarness({ openStores: open });
		try {
			// One more than allowed, then a flood: both instances pass the early check, the conditional UPDATE decides.
			for (const attempts of [6, 24]) {
				const r = await createRequest(a, { maxSubmissions: 5 });
				const bodies = await Promise.all(Array.from({ length: attempts }, () => submissionBody(2500)));
				const outcomes = await Promise.all(bodies.map(async (made, i) => outcome(await postSubmission(i % 2 ? a : b, r.id, made.body))));
				expect(outcomes.filter((o) => o === '201')).toHaveLength(5);
				expect(outcomes.filter((o) => o === '409 REQUEST_FULL')).toHaveLength(attempts - 5);
				expect((await b.meta.requests.get(r.id))?.submissions).toBe(5);
				expect((await list(b, r)).submissions).toHaveLength(5);
			}
		} finally {
			await a.close();
			await b.close();
			await schema.drop();
		}
	});
});

describe('file requests and the server’s limits', () => {
	let h: Harness;
	afterEach(async () => {
		await h.close();
	});

	it('restricted mode: creating a request needs an account, submitting does not', async () => {
		h = await createHarness({ env: { SEALDROP_UPLOAD_ACCESS: 'restricted' } });
		const { body } = await requestBody();
		expect(await outcome(await h.api('/requests', jsonInit('POST', body)))).toBe('401 LOGIN_REQUIRED');
		const user = randomBytes(12).toString('base64url');
		expect(
			await h.meta.accounts.addUser({
				id: user,
				name: 'ada',
				passwordHash: await hashPassword('tangerine kettle orbit 42'),
				createdAt: h.clock.now(),
				quotaBytes: null,
				quotaShares: null,
				maxExpiry: 3600
			})
		).toBe(true);
		const login = await h.api(
			'/login',
			jsonInit('POST', { name: 'ada', password: 'tangerine kettle orbit 42' }, { 'sec-fetch-site': 'same-origin' })
		);
		const cookie = { cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]!, 'sec-fetch-site': 'same-origin' };
		// The account's longest expiry applies, as to its shares.
		expect(await outcome(await h.api('/requests', jsonInit('POST', { ...body, expiresIn: DAY }, cookie)))).toBe('403 EXPIRY_NOT_ALLOWED');
		const r = await createRequest(h, { expiresIn: 3600 }, cookie);
		expect((await h.meta.requests.get(r.id))?.ownerUserId).toBe(user);
		const s = await submit(h, r.id);
		await uploadAndComplete(h, s);
		expect((await list(h, r)).submissions).toHaveLength(1);
	});

	it('restricted mode: submissions count against the requester’s quota; over it is QUOTA_EXCEEDED and stores nothing', async () => {
		h = await createHarness({ env: { SEALDROP_UPLOAD_ACCESS: 'restricted' } });
		const user = randomBytes(12).toString('base64url');
		const password = 'tangerine kettle orbit 42';
		await h.meta.accounts.addUser({
			id: user,
			name: 'bo',
			passwordHash: await hashPassword(password),
			createdAt: h.clock.now(),
			quotaBytes: 6000,
			quotaShares: null,
			maxExpiry: null
		});
		const login = await h.api('/login', jsonInit('POST', { name: 'bo', password }, { 'sec-fetch-site': 'same-origin' }));
		const cookie = { cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]!, 'sec-fetch-site': 'same-origin' };
		const r = await createRequest(h, { maxSubmissions: 10 }, cookie);
		await submit(h, r.id, 2500);
		await submit(h, r.id, 2500);
		expect(await h.meta.accounts.usage(user)).toEqual({ bytes: 5000, shares: 2 });
		const made = await submissionBody(2500);
		const refused = await postSubmission(h, r.id, made.body);
		expect(await outcome(refused.clone())).toBe('403 QUOTA_EXCEEDED');
		expect(((await refused.json()) as { error: { details: unknown } }).error.details).toEqual({ quota: 'bytes', limit: 6000, used: 5000 });
		await expectNothingStored(h, r, 2);
		// A disabled account's requests take nothing more.
		await h.meta.accounts.setDisabled('bo', true, h.clock.now());
		expect(await outcome(await postSubmission(h, r.id, (await submissionBody(100)).body))).toBe('410 REQUEST_CLOSED');
	});

	it('submissions have their own rate limit per client (SEALDROP_RATE_LIMIT_SUBMIT)', async () => {
		h = await createHarness({ env: { SEALDROP_RATE_LIMIT_SUBMIT: '2/600' }, app: { clientAddress: () => '198.51.100.9' } });
		const r = await createRequest(h, { maxSubmissions: 10 });
		await submit(h, r.id);
		await submit(h, r.id);
		const made = await submissionBody(2500);
		const limited = await postSubmission(h, r.id, made.body);
		expect(await outcome(limited.clone())).toBe('429 RATE_LIMITED');
		expect(limited.headers.get('retry-after')).toBe('600');
		expect((await h.meta.requests.get(r.id))?.submissions).toBe(2);
	});
});
