/** Error codes of FORMAT.md §6. Callers switch on `code`; `message` is for people. */
export type CryptoErrorCode =
	| 'BAD_SECRET'
	| 'BAD_HEADER'
	| 'KDF_TOO_COSTLY'
	| 'UNSUPPORTED_VERSION'
	| 'WRONG_KEY'
	| 'BAD_SIZE'
	| 'TAMPERED'
	| 'TRUNCATED'
	| 'TRAILING_DATA'
	| 'BAD_METADATA'
	| 'REQUEST_KEY_MISMATCH'
	| 'BAD_PUBLIC_KEY'
	| 'BAD_REQUEST_INFO'
	| 'WRONG_PASSPHRASE'
	| 'BAD_KEY_FILE';

const DEFAULT_MESSAGES: Record<CryptoErrorCode, string> = {
	BAD_SECRET: 'The link is damaged: its secret part is not valid.',
	BAD_HEADER: 'The share header is malformed.',
	KDF_TOO_COSTLY: 'The share asks for more password-stretching work than any reader allows.',
	UNSUPPORTED_VERSION: 'This share was made by a newer version of Sealdrop.',
	WRONG_KEY: 'The link or the password is wrong.',
	BAD_SIZE: 'The encrypted data has an impossible size.',
	TAMPERED: 'The encrypted data was modified or corrupted.',
	TRUNCATED: 'The encrypted data ended too early.',
	TRAILING_DATA: 'The encrypted data has extra bytes at the end.',
	BAD_METADATA: 'The share’s file list is invalid.',
	REQUEST_KEY_MISMATCH: 'The server changed this request’s key: nothing was sent.',
	BAD_PUBLIC_KEY: 'A public key is not a valid P-256 point.',
	BAD_REQUEST_INFO: 'The request’s title and message are invalid.',
	WRONG_PASSPHRASE: 'The passphrase is wrong, or the key file was changed.',
	BAD_KEY_FILE: 'This is not a Sealdrop request key file.'
};

export class CryptoError extends Error {
	readonly code: CryptoErrorCode;

	/** `detail` is appended to the human message, for logs and diagnostics. */
	constructor(code: CryptoErrorCode, detail?: string) {
		const base = DEFAULT_MESSAGES[code];
		super(detail ? `${base} (${detail})` : base);
		this.name = 'CryptoError';
		this.code = code;
	}
}

/** Narrowing helper: `isCryptoError(e, 'WRONG_KEY')`. */
export function isCryptoError(error: unknown, code?: CryptoErrorCode): error is CryptoError {
	if (!(error instanceof CryptoError)) return false;
	return code === undefined || error.code === code;
}
