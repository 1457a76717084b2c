import type { z } from 'zod';
import { invalidField } from '../errors';
import { guardSource, limitBytes } from '../streams';
import { bodyBudgetSpent, bodyTooLarge, unsupportedMediaType } from './errors';

/** Seconds a client refused by a full {@link BodyBudget} is told to wait. */
const BUSY_RETRY_AFTER_S = 5;

/**
 * Bytes of request bodies being buffered at once, shared by the requests of one route. A body
 * limit bounds one request; this bounds a flood of them (many connections, many addresses), so
 * buffering them cannot take the process's memory: past it, requests are refused with 503
 * UNAVAILABLE instead. Counted as bytes arrive, so a body that trickles holds only what came.
 */
export class BodyBudget {
	private used = 0;

	constructor(readonly maxBytes: number) {}

	/** Bytes held now. */
	get inUse(): number {
		return this.used;
	}

	tryTake(bytes: number): boolean {
		if (this.used + bytes > this.maxBytes) return false;
		this.used += bytes;
		return true;
	}

	give(bytes: number): void {
		this.used = Math.max(0, this.used - bytes);
	}
}

/**
 * A JSON body, validated: 415 for another content type, 413 as soon as it passes `maxBytes`
 * (counted while reading, whatever Content-Length says), 400 naming the first bad field; with a
 * `budget`, 503 UNAVAILABLE when it is spent. Authorise the request before calling this: the
 * body is read (and held) here.
 */
export async function readJsonBody<T>(request: Request, schema: z.ZodType<T>, maxBytes: number, budget?: BodyBudget): Promise<T> {
	const type = request.headers.get('content-type') ?? '';
	if (!/^application\/json\s*(;|$)/i.test(type)) {
		throw unsupportedMediaType();
	}
	const declared = Number(request.headers.get('content-length') ?? '0');
	if (declared > maxBytes) throw bodyTooLarge(maxBytes);
	// Refused before reading when it visibly cannot fit (chunked bodies are caught while reading).
	if (budget && declared > budget.maxBytes - budget.inUse) throw bodyBudgetSpent(BUSY_RETRY_AFTER_S);

	const chunks: Uint8Array[] = [];
	let held = 0;
	try {
		if (request.body) {
			const body = guardSource(request.body, () => invalidField('body', 'broke off.'));
			// Stopping mid-body leaves the rest on the wire: that connection must close.
			const stop = () => bodyTooLarge(maxBytes, true);
			for await (const chunk of limitBytes(body, maxBytes, stop)) {
				if (budget) {
					if (!budget.tryTake(chunk.byteLength)) throw bodyBudgetSpent(BUSY_RETRY_AFTER_S, true);
					held += chunk.byteLength;
				}
				chunks.push(chunk);
			}
		}
		let value: unknown;
		try {
			value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
		} catch {
			throw invalidField('body', 'not valid JSON.');
		}
		const parsed = schema.safeParse(value);
		if (!parsed.success) {
			const issue = parsed.error.issues[0];
			const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
			throw invalidField(field, issue?.message ?? 'invalid');
		}
		return parsed.data;
	} finally {
		budget?.give(held);
	}
}
