import { ECDH } from 'node:crypto';
import { z } from 'zod';
import { decodeBase64Url } from '../encoding';

/** base64url text decoded to bytes, with a length check that names the field. */
function base64urlBytes(minBytes: number, maxBytes: number, what: string) {
	return z.string().transform((text, ctx) => {
		const bytes = decodeBase64Url(text);
		if (!bytes) {
			ctx.addIssue({ code: 'custom', message: 'must be base64url without padding' });
			return z.NEVER;
		}
		if (bytes.length < minBytes || bytes.length > maxBytes) {
			ctx.addIssue({ code: 'custom', message: `must be ${what}` });
			return z.NEVER;
		}
		return bytes;
	});
}

const sha256 = base64urlBytes(32, 32, 'a SHA-256 hash (32 bytes)');

/**
 * The shape of POST /shares. Limits that depend on the configuration (sizes, options) are the
 * use case's: they answer 413 or name the allowed values.
 */
export const createShareBody = z
	.object({
		size: z.int().min(1),
		partSize: z.int().min(1),
		expiresIn: z.int(),
		maxDownloads: z.int(),
		header: base64urlBytes(1, 1024, '1 … 1024 bytes'),
		// The upper bound is maxMetadataBytes, checked by the use case (413).
		metadata: base64urlBytes(1, Number.MAX_SAFE_INTEGER, 'at least 1 byte'),
		readTokenHash: sha256,
		ownerTokenHash: sha256,
		// Format v2 with a password (FORMAT.md §3): the server-held key share and what checks it.
		password: z
			.object({
				keyShare: base64urlBytes(32, 32, '32 bytes'),
				keyCommitment: base64urlBytes(32, 32, '32 bytes'),
				unlockTokenHash: sha256
			})
			.strict()
			.optional()
	})
	// An unknown field is refused, as on PATCH: a client's typo must not pass silently.
	.strict();

/** The shape of PATCH /shares/:id: at least one change; the allowed values are the use case's. */
export const updateShareBody = z
	.object({
		expiresIn: z.int().optional(),
		maxDownloads: z.int().optional()
	})
	.strict()
	.refine((body) => body.expiresIn !== undefined || body.maxDownloads !== undefined, {
		message: 'send expiresIn, maxDownloads or both'
	});

/** A P-256 public key, raw uncompressed (FORMAT.md §11.1): 65 bytes, a point on the curve. */
const p256PublicKey = base64urlBytes(65, 65, 'a P-256 public key (65 bytes, uncompressed)').refine(
	(bytes) => {
		try {
			ECDH.convertKey(bytes, 'prime256v1');
			return bytes[0] === 0x04;
		} catch {
			return false;
		}
	},
	{ message: 'must be an uncompressed point on P-256' }
);

/** The shape of POST /requests; limits that depend on the configuration are the use case's. */
export const createRequestBody = z
	.object({
		ownerTokenHash: sha256,
		publicKey: p256PublicKey,
		keyTag: base64urlBytes(32, 32, '32 bytes'),
		// nonce ‖ ciphertext ‖ tag of at least one padded block; the upper bound is maxMetadataBytes (use case).
		sealedInfo: base64urlBytes(12 + 256 + 16, Number.MAX_SAFE_INTEGER, 'at least 284 bytes'),
		expiresIn: z.int(),
		maxSubmissions: z.int(),
		maxSubmissionBytes: z.int()
	})
	.strict();

/** The shape of POST /requests/:id/submissions: a share's create fields but its expiry and downloads, plus E. */
export const createSubmissionBody = z
	.object({
		size: z.int().min(1),
		partSize: z.int().min(1),
		header: base64urlBytes(1, 1024, '1 … 1024 bytes'),
		metadata: base64urlBytes(1, Number.MAX_SAFE_INTEGER, 'at least 1 byte'),
		readTokenHash: sha256,
		ownerTokenHash: sha256,
		ephemeralKey: p256PublicKey
	})
	.strict();
