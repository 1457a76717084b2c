/** File requests (FORMAT.md §11) with fresh keys: what each side can and cannot do. Runs in Node and Chromium. */
import { describe, expect, it } from 'vitest';
import {
	checkRequestKey,
	createShareKeys,
	createSubmissionSecret,
	exportRequestKey,
	generateRequestKeyPair,
	generateSecret,
	importRequestKey,
	openRequestInfo,
	openShareKeys,
	openSubmissionSecret,
	parseKeyFile,
	requestKeyTag,
	sealRequestInfo,
	toBase64Url,
	validateRequestInfo
} from '../../../src/lib/crypto';
import { expectCryptoError } from './helpers';

const QUICK = { memoryKiB: 1024, passes: 1, parallelism: 1 };

describe('file requests', () => {
	it('a submission opens only with the requester’s private key', async () => {
		const requester = await generateRequestKeyPair();
		const stranger = await generateRequestKeyPair();
		expect(requester.publicKey.length).toBe(65);
		const { secret, ephemeralKey } = await createSubmissionSecret(requester.publicKey);
		const { header } = await createShareKeys({ secret });
		expect(toBase64Url(await openSubmissionSecret(requester, ephemeralKey))).toBe(toBase64Url(secret));
		// The stranger's private key with the requester's public key: another secret, refused by the header's commitment.
		const wrong = await openSubmissionSecret({ privateKey: stranger.privateKey, publicKey: requester.publicKey }, ephemeralKey);
		expect(toBase64Url(wrong)).not.toBe(toBase64Url(secret));
		await expectCryptoError(openShareKeys(header, wrong), 'WRONG_KEY');
	});

	it('every submission gets its own ephemeral key and secret', async () => {
		const requester = await generateRequestKeyPair();
		const a = await createSubmissionSecret(requester.publicKey);
		const b = await createSubmissionSecret(requester.publicKey);
		expect(toBase64Url(a.ephemeralKey)).not.toBe(toBase64Url(b.ephemeralKey));
		expect(toBase64Url(a.secret)).not.toBe(toBase64Url(b.secret));
	});

	it('a key swapped on the server is detected with the link’s secret', async () => {
		const rs = generateSecret();
		const requester = await generateRequestKeyPair();
		const swapped = await generateRequestKeyPair();
		const tag = await requestKeyTag(rs, requester.publicKey);
		await checkRequestKey(rs, requester.publicKey, tag);
		await expectCryptoError(checkRequestKey(rs, swapped.publicKey, tag), 'REQUEST_KEY_MISMATCH');
		// A server that also makes its own tag cannot: the tag needs rs, which it never sees.
		await expectCryptoError(
			checkRequestKey(rs, swapped.publicKey, await requestKeyTag(generateSecret(), swapped.publicKey)),
			'REQUEST_KEY_MISMATCH'
		);
	});

	it('the info is padded to 256 bytes and opens only with rs', async () => {
		const rs = generateSecret();
		const sealed = await sealRequestInfo(rs, { title: 'Logs', message: '' });
		expect(sealed.length).toBe(12 + 256 + 16);
		expect(await openRequestInfo(rs, sealed)).toEqual({ title: 'Logs' });
		await expectCryptoError(openRequestInfo(generateSecret(), sealed), 'TAMPERED');
		expect(() => validateRequestInfo({ v: 1, title: ' ' })).toThrow(/title/);
		await expectCryptoError(sealRequestInfo(rs, { title: 'x'.repeat(201) }), 'BAD_REQUEST_INFO');
	});

	it('an exported key opens the submissions after import; a wrong passphrase is WRONG_PASSPHRASE', async () => {
		const requester = await generateRequestKeyPair();
		const { secret, ephemeralKey } = await createSubmissionSecret(requester.publicKey);
		const file = await exportRequestKey(requester, 'Straße ✓ horse', { kdf: QUICK });
		const text = JSON.stringify(file);
		expect(parseKeyFile(text)).toEqual(file);
		// NFC: the same passphrase typed decomposed opens it.
		const imported = await importRequestKey(text, 'Stra\u00dfe \u2713 horse'.normalize('NFD'));
		expect(toBase64Url(await openSubmissionSecret(imported, ephemeralKey))).toBe(toBase64Url(secret));
		await expectCryptoError(importRequestKey(text, 'Straße ✓ hors'), 'WRONG_PASSPHRASE');
		await expectCryptoError(importRequestKey('{"format":"sealdrop-request-key","v":2}', 'x'), 'BAD_KEY_FILE');
		await expectCryptoError(importRequestKey('not json', 'x'), 'BAD_KEY_FILE');
	});

	it('the optional request field is sealed with the key: it opens with the passphrase and cannot be swapped', async () => {
		const requester = await generateRequestKeyPair();
		const payload = new TextEncoder().encode('{"id":"x"}');
		const file = await exportRequestKey(requester, 'pw', { kdf: QUICK, request: payload });
		expect(file.request).toMatch(/^[A-Za-z0-9_-]+$/);
		expect(file.request).not.toContain(toBase64Url(payload));
		const imported = await importRequestKey(JSON.stringify(file), 'pw');
		expect(new TextDecoder().decode(imported.request)).toBe('{"id":"x"}');
		// Without it the file still opens (a reader that writes none); with the key's ciphertext in its place it does not.
		const { request: _dropped, ...bare } = file;
		expect((await importRequestKey(JSON.stringify(bare), 'pw')).request).toBeUndefined();
		await expectCryptoError(importRequestKey(JSON.stringify({ ...file, request: file.ciphertext }), 'pw'), 'WRONG_PASSPHRASE');
		await expectCryptoError(importRequestKey(JSON.stringify({ ...file, request: 'AAAA' }), 'pw'), 'BAD_KEY_FILE');
		await expectCryptoError(importRequestKey(JSON.stringify(file), 'wrong'), 'WRONG_PASSPHRASE');
	});

	it('refuses to write or read a key file costlier than any reader allows', async () => {
		const requester = await generateRequestKeyPair();
		await expectCryptoError(
			exportRequestKey(requester, 'pw', { kdf: { memoryKiB: 1048576, passes: 8, parallelism: 1 } }),
			'KDF_TOO_COSTLY'
		);
	});
});
