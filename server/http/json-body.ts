import type { z } from 'zod';
import { AppError } from '../errors';
import { guardSource, limitBytes } from '../streams';

const tooLarge = (maxBytes: number, headers?: Record<string, string>): AppError =>
	new AppError('TOO_LARGE', `The request body is larger than ${maxBytes} bytes.`, { limit: maxBytes }, headers);

/**
 * A JSON body, validated: 415 for another content type, 413 as soon as it passes `maxBytes`
 * (counted while reading, whatever Content-Length says), 400 naming the first bad field.
 */
export async function readJsonBody<T>(request: Request, schema: z.ZodType<T>, maxBytes: number): Promise<T> {
	const type = request.headers.get('content-type') ?? '';
	if (!/^application\/json\s*(;|$)/i.test(type)) {
		throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as Content-Type: application/json.');
	}
	const declared = Number(request.headers.get('content-length') ?? '0');
	if (declared > maxBytes) throw tooLarge(maxBytes);

	const chunks: Uint8Array[] = [];
	if (request.body) {
		const body = guardSource(request.body, () => new AppError('INVALID_REQUEST', 'body: broke off.', { field: 'body' }));
		// Stopping mid-body leaves the rest on the wire: that connection must close.
		const stop = () => tooLarge(maxBytes, { Connection: 'close' });
		for await (const chunk of limitBytes(body, maxBytes, stop)) chunks.push(chunk);
	}
	let value: unknown;
	try {
		value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
	} catch {
		throw new AppError('INVALID_REQUEST', 'body: not valid JSON.', { field: 'body' });
	}
	const parsed = schema.safeParse(value);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
		throw new AppError('INVALID_REQUEST', `${field}: ${issue?.message ?? 'invalid'}`, { field });
	}
	return parsed.data;
}
