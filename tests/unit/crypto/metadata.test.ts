import { beforeAll, describe, expect, it } from 'vitest';
import { buildMetadata, MAX_NOTE_LENGTH, openMetadata, sealMetadata, type Metadata, type ShareKeys } from '../../../src/lib/crypto';
import { bytesToHex, expectCryptoError, shareKeys } from './helpers';

let keys: ShareKeys;
beforeAll(async () => {
	keys = await shareKeys(1024);
});

const files = [
	{ name: 'report.pdf', size: 1048576, type: 'application/pdf' },
	{ name: 'photos/cat.jpg', size: 20480, type: 'image/jpeg' },
	{ name: 'empty', size: 0, type: '' }
];
const total = 1048576 + 20480;

/** Seals arbitrary text the way sealMetadata would, to make authentic but invalid metadata. */
async function sealRaw(text: string | Uint8Array<ArrayBuffer>, pad = true): Promise<Uint8Array> {
	const json = typeof text === 'string' ? new TextEncoder().encode(text) : text;
	const padded = pad ? new Uint8Array(Math.ceil(json.length / 256) * 256).fill(0x20) : new Uint8Array(json.length);
	padded.set(json);
	const iv = new Uint8Array(12).fill(5);
	const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, keys.metadataKey, padded));
	const out = new Uint8Array(12 + sealed.length);
	out.set(iv);
	out.set(sealed, 12);
	return out;
}

/** The padded plaintext inside a sealed blob. */
async function unseal(sealed: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
	return new Uint8Array(
		await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.subarray(0, 12) }, keys.metadataKey, sealed.subarray(12))
	);
}

describe('buildMetadata', () => {
	it('computes offsets in stream order', () => {
		const meta = buildMetadata(files, { note: 'hello', created: 1795000000000 });
		expect(meta).toEqual({
			v: 1,
			files: [
				{ ...files[0], offset: 0 },
				{ ...files[1], offset: 1048576 },
				{ ...files[2], offset: total }
			],
			note: 'hello',
			created: 1795000000000
		});
	});

	it('stamps the current time and leaves out an empty note', () => {
		const before = Date.now();
		const meta = buildMetadata(files, { note: '' });
		expect(meta.created).toBeGreaterThanOrEqual(before);
		expect(meta.created).toBeLessThanOrEqual(Date.now());
		expect('note' in meta).toBe(false);
	});

	it.each([
		['parent segment', '../x'],
		['parent segment inside', 'a/../x'],
		['dot segment', './x'],
		['dot', '.'],
		['empty', ''],
		['absolute', '/abs'],
		['empty segment', 'a//b'],
		['trailing slash', 'a/'],
		['NUL', 'a\u0000b'],
		['newline', 'a\nb'],
		['DEL', 'a\u007f'],
		['C1 control', 'a\u0085'],
		['lone surrogate', 'a\ud800'],
		['1025 UTF-8 bytes', 'ä'.repeat(512) + 'a']
	])('rejects a name with %s → BAD_METADATA', async (_, name) => {
		await expectCryptoError(() => buildMetadata([{ name, size: 1, type: '' }]), 'BAD_METADATA');
	});

	const goodNames = ['a', 'a/b/c.txt', '..a', 'a..', '.hidden', 'dir/.x', 'ä'.repeat(512), 'with spaces', 'back\\slash', '日本語.txt'];
	it.each(goodNames)('accepts the name %j', (name) => {
		expect(buildMetadata([{ name, size: 1, type: '' }]).files[0]?.name).toBe(name);
	});

	it.each([-1, 1.5, NaN, 2 ** 53])('rejects size %s', async (size) => {
		await expectCryptoError(() => buildMetadata([{ name: 'a', size, type: '' }]), 'BAD_METADATA');
	});

	it('builds a note-only share, and refuses one with neither files nor a note', async () => {
		expect(buildMetadata([], { noteBytes: 5, created: 0 })).toEqual({ v: 1, files: [], noteBytes: 5, created: 0 });
		expect(buildMetadata([], { note: 'hi', created: 0 })).toEqual({ v: 1, files: [], note: 'hi', created: 0 });
		await expectCryptoError(() => buildMetadata([]), 'BAD_METADATA');
		await expectCryptoError(() => buildMetadata([], { note: '', noteBytes: 0 }), 'BAD_METADATA');
		await expectCryptoError(sealMetadata(keys.metadataKey, { v: 1, files: [], created: 0 }), 'BAD_METADATA');
	});

	it('rejects a note longer than 65536 characters', async () => {
		expect(buildMetadata(files, { note: 'n'.repeat(MAX_NOTE_LENGTH) }).note?.length).toBe(MAX_NOTE_LENGTH);
		await expectCryptoError(() => buildMetadata(files, { note: 'n'.repeat(MAX_NOTE_LENGTH + 1) }), 'BAD_METADATA');
	});
});

describe('sealMetadata / openMetadata', () => {
	it('round-trips', async () => {
		const meta = buildMetadata(files, { note: 'Grüße ✓\n<b>not html</b>', created: 1 });
		expect(await openMetadata(keys.metadataKey, await sealMetadata(keys.metadataKey, meta), total)).toEqual(meta);
	});

	// JSON of exactly `length` bytes: the smallest document below, with a longer note.
	const tiny = (note: string): Metadata => buildMetadata([{ name: 'a', size: 0, type: '' }], { note, created: 0 });
	const base = JSON.stringify(tiny('x')).length;
	it.each([base, 200, 255, 256, 257, 511, 512, 513, 600])(
		'pads %i bytes of JSON with spaces to the next multiple of 256',
		async (length) => {
			const meta = tiny('x'.repeat(length - base + 1));
			const json = new TextEncoder().encode(JSON.stringify(meta));
			expect(json.length).toBe(length);
			const sealed = await sealMetadata(keys.metadataKey, meta);
			const padded = await unseal(sealed);
			expect(padded.length).toBe(Math.ceil(length / 256) * 256);
			expect(sealed.length).toBe(12 + padded.length + 16);
			expect(bytesToHex(padded.subarray(0, json.length))).toBe(bytesToHex(json));
			expect(padded.subarray(json.length).every((b) => b === 0x20)).toBe(true);
		}
	);

	it('uses a fresh random nonce unless one is given', async () => {
		const meta = buildMetadata(files, { created: 0 });
		const a = await sealMetadata(keys.metadataKey, meta);
		const b = await sealMetadata(keys.metadataKey, meta);
		expect(bytesToHex(a.subarray(0, 12))).not.toBe(bytesToHex(b.subarray(0, 12)));
		const nonce = new Uint8Array(12).fill(3);
		const c = await sealMetadata(keys.metadataKey, meta, nonce);
		expect(bytesToHex(c.subarray(0, 12))).toBe('030303030303030303030303');
		expect(bytesToHex(await sealMetadata(keys.metadataKey, meta, nonce))).toBe(bytesToHex(c));
		await expect(sealMetadata(keys.metadataKey, meta, new Uint8Array(16))).rejects.toThrow(TypeError);
	});

	it('refuses to seal invalid metadata', async () => {
		const meta = buildMetadata(files, { created: 0 });
		const broken: Metadata = { ...meta, files: [{ ...files[0]!, name: '../x', offset: 0 }] };
		await expectCryptoError(sealMetadata(keys.metadataKey, broken), 'BAD_METADATA');
	});

	describe('tampering → TAMPERED', () => {
		let sealed: Uint8Array;
		beforeAll(async () => {
			sealed = await sealMetadata(keys.metadataKey, buildMetadata(files, { created: 0 }));
		});
		const flipped = (offset: number): Uint8Array => {
			const out = sealed.slice();
			const at = offset < 0 ? out.length + offset : offset;
			out[at] = (out[at] as number) ^ 1;
			return out;
		};
		it.each([
			['nonce', 0],
			['first ciphertext byte', 12],
			['padding', 12 + 200],
			['tag', -1]
		])('a flipped bit in the %s', async (_, offset) => {
			await expectCryptoError(openMetadata(keys.metadataKey, flipped(offset), total), 'TAMPERED');
		});
		it('truncated', async () => {
			await expectCryptoError(openMetadata(keys.metadataKey, sealed.subarray(0, sealed.length - 1), total), 'TAMPERED');
			await expectCryptoError(openMetadata(keys.metadataKey, sealed.subarray(0, 27), total), 'TAMPERED');
			await expectCryptoError(openMetadata(keys.metadataKey, new Uint8Array(0), total), 'TAMPERED');
		});
		it('sealed under the content key', async () => {
			await expectCryptoError(openMetadata(keys.contentKey, sealed, total), 'TAMPERED');
		});
	});

	describe('authentic but invalid → BAD_METADATA', () => {
		const valid = { v: 1, files: [{ name: 'a', size: 5, type: '', offset: 0 }], created: 0 };
		const json = (changes: Record<string, unknown>): string => JSON.stringify({ ...valid, ...changes });
		const file = (changes: Record<string, unknown>): string => json({ files: [{ ...valid.files[0], ...changes }] });

		it('control: the valid object opens, unknown keys are dropped', async () => {
			const opened = await openMetadata(keys.metadataKey, await sealRaw(json({ extra: { deep: 1 } })), 5);
			expect(opened).toEqual(valid);
			expect(await openMetadata(keys.metadataKey, await sealRaw(file({ extra: 1 })), 5)).toEqual(valid);
		});

		it.each([
			['sizes that add up to less than the content', json({}), 6],
			['sizes that add up to more than the content', json({}), 4],
			['v = 2', json({ v: 2 }), 5],
			['v missing', json({ v: undefined }), 5],
			['files not an array', json({ files: {} }), 5],
			['a file that is not an object', json({ files: [5] }), 5],
			[
				'a wrong offset',
				json({
					files: [
						{ name: 'a', size: 2, type: '', offset: 0 },
						{ name: 'b', size: 3, type: '', offset: 1 }
					]
				}),
				5
			],
			['a negative size', file({ size: -1 }), -1],
			['a fractional size', file({ size: 4.5 }), 5],
			['a size as text', file({ size: '5' }), 5],
			['type missing', file({ type: undefined }), 5],
			['type not a string', file({ type: 3 }), 5],
			['name "../x"', file({ name: '../x' }), 5],
			['name "/abs"', file({ name: '/abs' }), 5],
			['empty name', file({ name: '' }), 5],
			['name with a control character', file({ name: 'a\u0001' }), 5],
			['name not a string', file({ name: 1 }), 5],
			['note not a string', json({ note: 1 }), 5],
			['a note that is too long', json({ note: 'n'.repeat(MAX_NOTE_LENGTH + 1) }), 5],
			['created missing', json({ created: undefined }), 5],
			['created as text', json({ created: '2026' }), 5],
			['an array', '[1]', 5],
			['null', 'null', 5],
			['not JSON', '{"v":1,', 5],
			['two JSON values', `${json({})} {}`, 5],
			['neither files nor a note', json({ files: [] }), 0],
			['no files and an empty note', json({ files: [], note: '' }), 0]
		])('%s', async (_, text, plainSize) => {
			await expectCryptoError(openMetadata(keys.metadataKey, await sealRaw(text), plainSize), 'BAD_METADATA');
		});

		it('control: a note-only share opens', async () => {
			const noteOnly = { v: 1, files: [], noteBytes: 5, created: 0 };
			expect(await openMetadata(keys.metadataKey, await sealRaw(JSON.stringify(noteOnly)), 5)).toEqual(noteOnly);
		});

		it('not padded to a multiple of 256', async () => {
			await expectCryptoError(openMetadata(keys.metadataKey, await sealRaw(json({}), false), 5), 'BAD_METADATA');
		});

		it('not UTF-8', async () => {
			const bytes = new TextEncoder().encode(json({}));
			const broken = new Uint8Array(bytes.length + 1);
			broken.set(bytes);
			broken[bytes.length] = 0xff;
			await expectCryptoError(openMetadata(keys.metadataKey, await sealRaw(broken), 5), 'BAD_METADATA');
		});
	});
});
