import { randomBase64Url } from '../encoding';
import { hashToken, TOKEN_BYTES } from '../shares/tokens';

/** A new session or API token: 32 random bytes for the client, only their SHA-256 for storage. */
export function newSecretToken(): { token: string; hash: Buffer } {
	const token = randomBase64Url(TOKEN_BYTES);
	return { token, hash: hashToken(token)! };
}

/** Public ids (users, API tokens): random, so they reveal neither order nor count. */
export const newPublicId = (): string => randomBase64Url(12);
