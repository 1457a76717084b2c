/**
 * The properties of format v2 passwords (FORMAT.md §3, "Who can test a password guess"), one test
 * each, through the client code a browser runs (openShare, uploadShare) against a real server.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptKey } from '../../../server/shares/attempts';
import type { RequestOptions } from '../../../src/lib/api/client';
import type { UnlockResponse } from '../../../src/lib/api/types';
import {
	buildMetadata,
	checkLink,
	createShareKeys,
	decodeHeader,
	decodeSecret,
	deriveUnlockToken,
	encodeSecret,
	encryptBlobRecords,
	fromBase64Url,
	isCryptoError,
	layoutForPlainSize,
	openShareKeys,
	sealMetadata,
	sha256,
	toBase64Url,
	type PasswordKdf
} from '../../../src/lib/crypto';
import { inlineBackend } from '../../../src/lib/transfer/crypto-backend';
import { openShare, PasswordError } from '../../../src/lib/transfer/download';
import { resumeUpload, runUpload, startUpload, uploadShare, type UploadResult } from '../../../src/lib/transfer/upload';
import { memoryPendingUploads } from '../../../src/lib/uploads/pending-uploads';
import { fastKdf, GatedApi, randomFile, readShare, startTestServer, type TestServer } from '../controllers/support';

const KDF = { memoryKiB: 65536, passes: 3, parallelism: 1 };
const PASSWORD = 'correct horse battery staple';

/** A password KDF that counts its runs (each stands for one Argon2id). */
function countingKdf(): { kdf: PasswordKdf; runs: string[] } {
	const runs: string[] = [];
	return {
		runs,
		kdf: async (password, header) => {
			runs.push(password);
			return fastKdf(password, header);
		}
	};
}

const otherSecretText = (secret: string) => (secret[0] === 'A' ? 'B' : 'A') + secret.slice(1);
const equalBytes = (a: Uint8Array, b: Uint8Array | null | undefined) => b !== null && b !== undefined && Buffer.from(a).equals(b);

describe('format v2 passwords, property by property', () => {
	let t: TestServer;
	beforeAll(async () => {
		t = await startTestServer();
	});
	afterAll(() => t.close());

	async function passwordShare(password = PASSWORD): Promise<UploadResult & { content: Buffer }> {
		const api = t.client();
		const { file, bytes } = randomFile('secret.bin', 5000);
		const made = await uploadShare(
			{ files: [file], expiresIn: 86400, maxDownloads: 5, password },
			{ api, config: await api.config(), crypto: inlineBackend, pending: memoryPendingUploads(), passwordKdf: fastKdf }
		);
		return { ...made, content: bytes };
	}
	/** How many wrong guesses the server counted against a share. */
	async function counted(id: string): Promise<number> {
		const [counter] = await t.server.meta.attempts.counts([attemptKey('share', id)], 0);
		return counter ? Number(counter.count) : 0;
	}

	it('(1) no public byte depends on the password: same secret, salt and key share, two passwords → the same header; the metadata needs a read token', async () => {
		const secret = randomBytes(32);
		const salt = randomBytes(32);
		const keyShare = randomBytes(32);
		const [a, b] = await Promise.all(
			[randomBytes(32), randomBytes(32)].map((passwordKey) =>
				createShareKeys({ secret, salt, keyShare, kdf: KDF, passwordKey, recordSize: 1024 })
			)
		);
		expect(Buffer.from(a!.headerBytes).equals(b!.headerBytes)).toBe(true);
		// …while everything that opens the share differs.
		expect(equalBytes(a!.keys.readToken, b!.keys.readToken)).toBe(false);
		expect(equalBytes(a!.password!.keyCommitment, b!.password!.keyCommitment)).toBe(false);

		// A real share's public info: its header, counts and upload state, nothing else.
		const api = t.client();
		const made = await passwordShare();
		const info = await api.info(made.id);
		expect(Object.keys(info).sort()).toEqual([
			'createdAt',
			'downloads',
			'downloadsLeft',
			'expiresAt',
			'header',
			'id',
			'maxDownloads',
			'size',
			'state'
		]);
		// The header is checked with the link alone: nothing public is a password verifier.
		expect(await checkLink(decodeHeader(fromBase64Url(info.header)), decodeSecret(made.secret))).toBe(true);
		const metadata = (token?: string) =>
			fetch(`${t.url}/api/v1/shares/${made.id}/metadata`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
		expect((await metadata()).status).toBe(401);
		expect((await metadata(toBase64Url(randomBytes(32)))).status).toBe(403);
	});

	it('(2) a wrong link is recognised before anything is spent: no Argon2id run, no unlock request, no counter touched', async () => {
		const made = await passwordShare();
		const api = t.client();
		const { kdf, runs } = countingKdf();
		const failure = await openShare(api, made.id, otherSecretText(made.secret), { password: PASSWORD, passwordKdf: kdf }).catch(
			(e: unknown) => e
		);
		expect(isCryptoError(failure, 'WRONG_KEY')).toBe(true);
		expect(runs).toEqual([]);
		expect(api.requests()).toEqual([`GET /api/v1/shares/${made.id}`]);
		expect(await counted(made.id)).toBe(0);
	});

	it('(3) a guess can be tested only through the server: a wrong password is 403 WRONG_PASSWORD there, and counted', async () => {
		const made = await passwordShare();
		const api = t.client();
		const failure = await openShare(api, made.id, made.secret, { password: 'incorrect horse', passwordKdf: fastKdf }).catch(
			(e: unknown) => e
		);
		expect(failure).toBeInstanceOf(PasswordError);
		expect((failure as PasswordError).code).toBe('WRONG_PASSWORD');
		expect(api.requests()).toEqual([`GET /api/v1/shares/${made.id}`, `POST /api/v1/shares/${made.id}/unlock`]);
		expect(await counted(made.id)).toBe(1);
		expect((await readShare(api, made.id, made.secret, PASSWORD)).equals(made.content)).toBe(true);
		expect(await counted(made.id)).toBe(1); // the right one counts nothing
	});

	it('(5) the database without the link cannot test a guess: with the right password and everything a share row holds, but not the secret, nothing verifies', async () => {
		const made = await passwordShare();
		const row = await t.server.meta.shares.get(made.id);
		if (!row?.header || !row.password || !row.readTokenHash) throw new Error('no password share row');
		const header = decodeHeader(row.header);
		const rightPk = await fastKdf(PASSWORD, header);
		const stored = row.password;
		// The thief's best: the right password, the stored key share, any secret but the link's.
		for (let i = 0; i < 3; i++) {
			const guessed = randomBytes(32);
			expect(equalBytes(await sha256(await deriveUnlockToken(header, guessed, rightPk)), stored.unlockTokenHash)).toBe(false);
			const opening = await openShareKeys(header, guessed, rightPk, stored).catch((e: unknown) => e);
			expect(isCryptoError(opening, 'WRONG_KEY')).toBe(true);
			const keysWithoutCommitment = await createShareKeys({
				secret: guessed,
				salt: header.salt,
				kdf: header.kdf,
				passwordKey: rightPk,
				keyShare: stored.keyShare,
				recordSize: header.recordSize
			});
			expect(equalBytes(keysWithoutCommitment.password!.keyCommitment, stored.keyCommitment)).toBe(false);
			expect(equalBytes(await sha256(keysWithoutCommitment.keys.readToken), row.readTokenHash)).toBe(false);
		}
		// Every stored value that depends on the password changes when only the secret changes.
		const same = { salt: header.salt, kdf: header.kdf, passwordKey: rightPk, keyShare: stored.keyShare, recordSize: header.recordSize };
		const [x, y] = await Promise.all([
			createShareKeys({ ...same, secret: randomBytes(32) }),
			createShareKeys({ ...same, secret: randomBytes(32) })
		]);
		expect(equalBytes(await sha256(x.password!.unlockToken), await sha256(y.password!.unlockToken))).toBe(false);
		expect(equalBytes(x.password!.keyCommitment, y.password!.keyCommitment)).toBe(false);
		expect(equalBytes(await sha256(x.keys.readToken), await sha256(y.keys.readToken))).toBe(false);
		// And with the real secret, the same row does verify: the test above is not vacuous.
		expect(equalBytes(await sha256(await deriveUnlockToken(header, decodeSecret(made.secret), rightPk)), stored.unlockTokenHash)).toBe(
			true
		);
	});

	it('(6) key commitment: a server that swaps the key share or its commitment is detected (WRONG_KEY) before anything is decrypted', async () => {
		const made = await passwordShare();
		for (const swap of ['keyShare', 'keyCommitment'] as const) {
			const lying = new (class extends GatedApi {
				override async unlock(id: string, token: string, opts?: RequestOptions): Promise<UnlockResponse> {
					const answer = await super.unlock(id, token, opts);
					return { ...answer, [swap]: toBase64Url(randomBytes(32)) };
				}
			})(t.url);
			const failure = await openShare(lying, made.id, made.secret, { password: PASSWORD, passwordKdf: fastKdf }).catch((e: unknown) => e);
			expect(isCryptoError(failure, 'WRONG_KEY'), swap).toBe(true);
			// Not reported as a wrong password (the server said it was right), and no metadata fetched.
			expect(failure).not.toBeInstanceOf(PasswordError);
			expect(lying.requests()).toEqual([`GET /api/v1/shares/${made.id}`, `POST /api/v1/shares/${made.id}/unlock`]);
		}
	});

	it('(7) v1 password shares still open through the same openShare (a wrong password still fails without a request)', async () => {
		const api = t.client();
		const content = randomBytes(3000);
		const secret = randomBytes(32);
		const salt = randomBytes(32);
		const passwordKey = await fastKdf(PASSWORD, { salt, kdf: KDF });
		const { headerBytes, keys } = await createShareKeys({ version: 1, secret, salt, kdf: KDF, passwordKey, recordSize: 1024 });
		const layout = layoutForPlainSize(content.length, 1024);
		const records: Uint8Array<ArrayBuffer>[] = [];
		for await (const r of encryptBlobRecords(keys.contentKey, new Blob([content]), layout, 0, layout.records)) records.push(r);
		const blob = new Uint8Array(await new Blob(records).arrayBuffer());
		const ownerToken = randomBytes(32);
		const sealed = await sealMetadata(keys.metadataKey, buildMetadata([{ name: 'old.bin', size: content.length, type: '' }]));
		const created = await api.createShare({
			size: blob.length,
			partSize: blob.length,
			expiresIn: 86400,
			maxDownloads: 5,
			header: toBase64Url(headerBytes),
			metadata: toBase64Url(sealed),
			readTokenHash: toBase64Url(await sha256(keys.readToken)),
			ownerTokenHash: toBase64Url(await sha256(ownerToken))
		});
		await api.putPart(created.id, 0, blob, toBase64Url(ownerToken));
		await api.complete(created.id, toBase64Url(ownerToken));
		const link = encodeSecret(secret);

		const before = api.requests().length;
		const wrong = await openShare(api, created.id, link, { password: 'incorrect horse', passwordKdf: fastKdf }).catch((e: unknown) => e);
		expect((wrong as PasswordError).code).toBe('WRONG_PASSWORD');
		expect(api.requests().slice(before)).toEqual([`GET /api/v1/shares/${created.id}`]);
		const opened = await openShare(api, created.id, link, { password: PASSWORD, passwordKdf: fastKdf });
		expect(opened.header.version).toBe(1);
		expect(opened.metadata.files.map((f) => f.name)).toEqual(['old.bin']);
		expect((await readShare(api, created.id, link, PASSWORD)).equals(content)).toBe(true);
	});

	it('an interrupted v2 password upload resumes from what the browser kept, and opens with its password', async () => {
		const api = t.client();
		const pending = memoryPendingUploads();
		const { file, bytes } = randomFile('resumed.bin', 5000);
		const deps = { api, config: await api.config(), crypto: inlineBackend, pending, passwordKdf: fastKdf };
		await startUpload({ files: [file], expiresIn: 86400, maxDownloads: 5, password: PASSWORD }, deps);
		// The tab closed here: only the pending record is left.
		const [kept] = await pending.list();
		expect(kept?.keyShare).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(kept?.keyCommitment).toMatch(/^[A-Za-z0-9_-]{43}$/);
		const job = await resumeUpload(kept!, [file]);
		const done = await runUpload(job!, deps);
		expect((await readShare(api, done.id, done.secret, PASSWORD)).equals(bytes)).toBe(true);
		expect(await pending.list()).toEqual([]);
	});
});
