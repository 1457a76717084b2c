import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ApiErrorBody, ApiErrorCode } from '../../src/lib/api/types';
import { STATUS_OF } from '../errors';
import type { Logger } from '../logger';
import { securityHeaderList } from './security-headers';

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
function describe(code: string | undefined): { code: ApiErrorCode; message: string } {
	switch (code) {
		case 'HPE_HEADER_OVERFLOW':
			return { code: 'HEADERS_TOO_LARGE', message: 'The request headers are too large.' };
		case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
			return { code: 'TOO_LARGE', message: 'The chunk extensions of the request body are too large.' };
		case 'ERR_HTTP_REQUEST_TIMEOUT':
			return { code: 'REQUEST_TIMEOUT', message: 'The request headers did not arrive in time.' };
		case 'HPE_INVALID_CONTENT_LENGTH':
		case 'HPE_UNEXPECTED_CONTENT_LENGTH':
			return { code: 'INVALID_REQUEST', message: 'Content-Length: not a valid length for this request.' };
		default:
			return { code: 'INVALID_REQUEST', message: 'The request is not valid HTTP/1.1.' };
	}
}

/** The raw HTTP/1.1 answer for a request Node refused before it reached the app. */
export function clientErrorResponse(errorCode: string | undefined, tls: boolean): string {
	const { code, message } = describe(errorCode);
	const status = STATUS_OF[code];
	const body = JSON.stringify({ error: { code, message } } satisfies ApiErrorBody);
	const headers: [string, string][] = [
		['Content-Type', 'application/json'],
		['Content-Length', String(Buffer.byteLength(body))],
		['Cache-Control', 'no-store'],
		['Connection', 'close'],
		...securityHeaderList(ERROR_CSP)
	];
	if (tls) headers.push(['Strict-Transport-Security', 'max-age=31536000']);
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
