/**
 * The errors of the HTTP layer (parsing a request, its limits, its credentials), one factory
 * each: the only place each sentence is written. Headers come from the structured info
 * (server/errors.ts, AppError.headers), never from a factory.
 */
import { AppError } from '../errors';

export const invalidShareId = (): AppError => new AppError('INVALID_ID', 'Not a share id.');

export const invalidPartNumber = (): AppError => new AppError('INVALID_PART', 'The part number must be a non-negative integer.');

export const invalidContentLength = (): AppError => new AppError('INVALID_REQUEST', 'Content-Length: not a byte count.');

export const unsupportedMediaType = (): AppError =>
	new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as Content-Type: application/json.');

/** `closeConnection`: the rest of the body is still on the wire (refused while reading it). */
export const bodyTooLarge = (limit: number, closeConnection = false): AppError =>
	new AppError('TOO_LARGE', `The request body is larger than ${limit} bytes.`, { limit }, { closeConnection });

/** Every byte this instance may buffer for request bodies is taken; nothing is wrong with the request. */
export const bodyBudgetSpent = (retryAfterSeconds: number, closeConnection = false): AppError =>
	new AppError('UNAVAILABLE', `The server is receiving too many requests right now; retry in ${retryAfterSeconds} s.`, undefined, {
		retryAfterSeconds,
		closeConnection
	});

/** Part uploads over the process's cap or the client's share. */
export const serverBusy = (retryAfterSeconds: number): AppError =>
	new AppError(
		'SERVER_BUSY',
		`The server is receiving too many uploads right now; retry in ${retryAfterSeconds} s.`,
		{ retryAfter: retryAfterSeconds },
		{ retryAfterSeconds }
	);

/** A client over a rate limit; `action` names the limited action ("create", "claim"). */
export const rateLimited = (action: string, retryAfterSeconds: number): AppError =>
	new AppError(
		'RATE_LIMITED',
		`Too many requests (${action}) from your address; try again in ${retryAfterSeconds} s.`,
		{ retryAfter: retryAfterSeconds },
		{ retryAfterSeconds }
	);

export const missingBearerToken = (): AppError =>
	new AppError('UNAUTHORIZED', 'Send the token as "Authorization: Bearer <token>".', undefined, { authenticate: 'Bearer' });

export const wrongMetricsToken = (): AppError =>
	new AppError('UNAUTHORIZED', 'Wrong metrics token.', undefined, { authenticate: 'Bearer' });

export const noSuchEndpoint = (): AppError => new AppError('NOT_FOUND', 'No such endpoint.');

/** A Range outside a resource of `size` bytes, or more than one range. */
export const rangeNotSatisfiable = (size: number): AppError =>
	new AppError('RANGE_NOT_SATISFIABLE', `The blob has ${size} bytes; send one range inside it.`, undefined, { rangeOf: size });

// What Node's HTTP parser refuses before a request reaches the app (client-error.ts); the
// connection is closed after these answers.

export const headersTooLarge = (): AppError =>
	new AppError('HEADERS_TOO_LARGE', 'The request headers are too large.', undefined, { closeConnection: true });

export const chunkExtensionsTooLarge = (): AppError =>
	new AppError('TOO_LARGE', 'The chunk extensions of the request body are too large.', undefined, { closeConnection: true });

export const requestTimeout = (): AppError =>
	new AppError('REQUEST_TIMEOUT', 'The request headers did not arrive in time.', undefined, { closeConnection: true });

export const badContentLength = (): AppError =>
	new AppError('INVALID_REQUEST', 'Content-Length: not a valid length for this request.', undefined, { closeConnection: true });

export const malformedHttp = (): AppError =>
	new AppError('INVALID_REQUEST', 'The request is not valid HTTP/1.1.', undefined, { closeConnection: true });
