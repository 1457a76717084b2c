import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ApiErrorBody } from '../../src/lib/api/types';
import type { AppError } from '../errors';
import type { Logger } from '../logger';
import { badContentLength, chunkExtensionsTooLarge, headersTooLarge, malformedHttp, requestTimeout } from './errors';
import { securityHeaderList } from './security-headers';
import { HSTS } from './tls';

/** A JSON error has no content to allow: the strictest policy. */
const ERROR_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const REASONS: Partial<Record<number, string>> = {
	400: 'Bad Request',
	408: 'Request Timeout',
	413: 'Content Too Large',
	431: 'Request Header Fields Too Large'
};

/** How long a client gets to read the answer and hang up before its connection is cut. */
const CLOSE_GRACE_MS = 1000;

/** What Node's HTTP parser (or its headers timeout) found wrong, in the API's words. */
function describe(code: string | undefined): AppError {
	switch (code) {
		case 'HPE_HEADER_OVERFLOW':
			return headersTooLarge();
		case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
			return chunkExtensionsTooLarge();
		case 'ERR_HTTP_REQUEST_TIMEOUT':
			return requestTimeout();
		case 'HPE_INVALID_CONTENT_LENGTH':
		case 'HPE_UNEXPECTED_CONTENT_LENGTH':
			return badContentLength();
		default:
			return malformedHttp();
	}
}

/** The raw HTTP/1.1 answer for a request Node refused before it reached the app. */
export function clientErrorResponse(errorCode: string | undefined, tls: boolean): string {
	// The same error, status and headers as the app's error handler would give (server/errors.ts).
	const error = describe(errorCode);
	const status = error.status;
	const body = JSON.stringify({ error: { code: error.code, message: error.message } } satisfies ApiErrorBody);
	const own = { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-store' };
	// The connection closes whatever the error: the parser cannot find where a next request begins.
	const headers: [string, string][] = [
		...Object.entries({ ...own, ...error.headers, Connection: 'close' }),
		...securityHeaderList(ERROR_CSP)
	];
	if (tls) headers.push(['Strict-Transport-Security', HSTS]);
	const head = headers.map(([name, value]) => `${name}: ${value}\r\n`).join('');
	return `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n${head}\r\n${body}`;
}

/**
 * Answers the requests Node's HTTP server refuses itself (malformed request line or headers,
 * headers over its size limit, a non-numeric Content-Length, the headers timeout) in the API's
 * JSON error shape with the security headers, instead of Node's bare status line. Also serves
 * the HTTPS server: these are HTTP errors on an established TLS connection.
 */
export function answerClientErrors(server: Server, options: { tls: boolean; logger: Logger }): void {
	const answered = new WeakSet<Socket>();
	server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
		// The parser reports each later chunk of a broken connection again: answer once.
		if (answered.has(socket)) return;
		answered.add(socket);
		// Never the raw packet: it may carry a token.
		options.logger.debug({ code: error.code }, 'malformed request refused');
		const response = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
		// A reset connection, or one whose answer has begun: nothing more can be written.
		if (error.code === 'ECONNRESET' || !socket.writable || response?.headersSent) {
			socket.destroy();
			return;
		}
		// Half-close, and keep reading, so the client gets the answer before the connection goes
		// (closing with unread data would reset it); cut it if the client does not hang up.
		const cut = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
		cut.unref();
		socket.once('close', () => clearTimeout(cut));
		socket.end(clientErrorResponse(error.code, options.tls));
	});
}
