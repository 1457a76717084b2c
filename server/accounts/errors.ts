/**
 * The errors of accounts (restricted upload mode): logging in, credentials, API tokens and the
 * limits an account puts on its shares. One factory each: the only place each sentence is written.
 */
import { AppError } from '../errors';

/** No session and no API token where one is needed; the 401 names the scheme a script can use. */
export const loginRequired = (): AppError =>
	new AppError('LOGIN_REQUIRED', 'Log in to upload to this server.', undefined, { authenticate: 'Bearer' });

export const invalidApiToken = (): AppError =>
	new AppError('LOGIN_REQUIRED', 'This API token is not valid: it was revoked, or its account is disabled.', undefined, {
		authenticate: 'Bearer'
	});

/** The session or token is fine, but its account was disabled since. */
export const ownerDisabled = (): AppError => new AppError('LOGIN_REQUIRED', 'This account is disabled.');

export const loginFailed = (): AppError => new AppError('LOGIN_FAILED', 'Wrong user name or password.');

/** A correct password for a disabled account. */
export const accountDisabled = (): AppError =>
	new AppError('ACCOUNT_DISABLED', 'This account is disabled. Ask the administrator of this server.');

export const tooManyLogins = (retryAfterSeconds: number): AppError =>
	new AppError(
		'RATE_LIMITED',
		`Too many failed logins for this name; try again in ${retryAfterSeconds} s.`,
		{ retryAfter: retryAfterSeconds },
		{
			retryAfterSeconds
		}
	);

export const crossOrigin = (): AppError =>
	new AppError('CROSS_ORIGIN', 'This request did not come from a page of this server, so it was refused.');

export const tokensNeedSession = (): AppError =>
	new AppError('FORBIDDEN', 'API tokens are managed from a login session, not with a token.');

export const tooManyTokens = (max: number): AppError =>
	new AppError('INVALID_REQUEST', `At most ${max} API tokens per account: revoke one first.`);

export const noSuchApiToken = (): AppError => new AppError('NOT_FOUND', 'No such API token.');

export const byteQuotaExceeded = (limit: number, used: number, size: number): AppError =>
	new AppError('QUOTA_EXCEEDED', `Your account may keep ${limit} bytes in live shares; ${used} are used and this share needs ${size}.`, {
		quota: 'bytes',
		limit,
		used,
		size
	});

export const shareQuotaExceeded = (limit: number, used: number): AppError =>
	new AppError('QUOTA_EXCEEDED', `Your account may keep ${limit} live shares at once; delete one or wait for one to expire.`, {
		quota: 'shares',
		limit,
		used
	});

export const expiryNotAllowed = (maxExpiry: number): AppError =>
	new AppError('EXPIRY_NOT_ALLOWED', `expiresIn: your account allows shares to last at most ${maxExpiry} s.`, {
		field: 'expiresIn',
		maxExpiry
	});
