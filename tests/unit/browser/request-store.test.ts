/** The requester's key store in real IndexedDB (Chromium), and its key file. */
import { describe, expect, it } from 'vitest';
import {
	createShareKeys,
	createSubmissionSecret,
	generateRequestKeyPair,
	openSubmissionSecret,
	toBase64Url
} from '../../../src/lib/crypto';
import { keyFileName, readKeyFile, writeKeyFile } from '../../../src/lib/requests/key-file';
import { indexedDbRequestStore, keysOf, storedRequest, type StoredRequest } from '../../../src/lib/requests/request-store';

const QUICK = { memoryKiB: 1024, passes: 1, parallelism: 1 };
const ID = 'q3M8fW0xH1rJc2Zq9tYb1A';

async function makeRequest(id = ID, createdAt = 1_800_000_000_000): Promise<StoredRequest> {
	const keys = await generateRequestKeyPair();
	return storedRequest(
		{
			id,
			secret: toBase64Url(new Uint8Array(32).fill(7)),
			ownerToken: toBase64Url(new Uint8Array(32).fill(9)),
			title: 'Receipts',
			createdAt
		},
		keys
	);
}

/** A submission's secret as the submitter derived it, and as `request` derives it. */
async function secrets(request: StoredRequest) {
	const { secret, ephemeralKey } = await createSubmissionSecret(request.publicKey);
	await createShareKeys({ secret });
	return { sent: toBase64Url(secret), opened: toBase64Url(await openSubmissionSecret(keysOf(request), ephemeralKey)) };
}

describe('request store (IndexedDB)', () => {
	it('keeps the private key as a CryptoKey that cannot be read out, and it still opens submissions', async () => {
		const store = indexedDbRequestStore();
		const request = await makeRequest();
		await store.save(request);
		const back = (await store.get(ID))!;
		expect(back.privateKey).toBeInstanceOf(CryptoKey);
		expect(back.privateKey.extractable).toBe(false);
		await expect(crypto.subtle.exportKey('pkcs8', back.privateKey)).rejects.toThrow();
		expect(back.exportKey.extractable).toBe(true);
		expect({ ...back, privateKey: null, exportKey: null }).toEqual({ ...request, privateKey: null, exportKey: null });
		const { sent, opened } = await secrets(back);
		expect(opened).toBe(sent);
		await store.forget(ID);
		expect(await store.get(ID)).toBeUndefined();
	});

	it('lists newest first', async () => {
		const store = indexedDbRequestStore();
		const older = await makeRequest('AAAAAAAAAAAAAAAAAAAAAA', 1);
		const newer = await makeRequest('BBBBBBBBBBBBBBBBBBBBBB', 2);
		await store.save(older);
		await store.save(newer);
		expect((await store.list()).map((r) => r.id)).toEqual([newer.id, older.id]);
		await store.forget(older.id);
		await store.forget(newer.id);
	});

	it('a key file brings the request back elsewhere; a wrong passphrase is WRONG_PASSPHRASE', async () => {
		const request = { ...(await makeRequest()), message: 'PDF only' };
		const text = await writeKeyFile(request, 'correct horse battery', { kdf: QUICK });
		expect(keyFileName(request)).toBe(`sealdrop-request-${ID}.json`);
		// Nothing of the request is readable in the file without the passphrase.
		for (const secret of [request.ownerToken, request.secret, 'Receipts', 'PDF only', ID]) expect(text).not.toContain(secret);
		const imported = await readKeyFile(text, 'correct horse battery');
		expect(imported).toMatchObject({
			id: ID,
			secret: request.secret,
			ownerToken: request.ownerToken,
			title: 'Receipts',
			message: 'PDF only'
		});
		expect(imported.privateKey.extractable).toBe(false);
		const { sent, opened } = await secrets(imported);
		expect(opened).toBe(sent);
		await expect(readKeyFile(text, 'correct horse batter')).rejects.toMatchObject({ code: 'WRONG_PASSPHRASE' });
		await expect(readKeyFile('{"format":"other"}', 'x')).rejects.toMatchObject({ code: 'BAD_KEY_FILE' });
		const { request: _sealed, ...bare } = JSON.parse(text) as Record<string, unknown>;
		await expect(readKeyFile(JSON.stringify(bare), 'correct horse battery')).rejects.toMatchObject({ code: 'KEY_FILE_NO_REQUEST' });
	});
});
