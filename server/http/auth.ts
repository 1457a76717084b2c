import { missingBearerToken } from './errors';

/**
 * The token of an `Authorization: Bearer <token>` header (RFC 6750 syntax). Whether the token
 * is right is the use case's business; a missing or non-bearer header is 401 here.
 */
export function bearerToken(header: string | undefined): string {
	const match = header === undefined ? null : /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
	if (!match?.[1]) throw missingBearerToken();
	return match[1];
}
