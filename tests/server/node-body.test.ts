import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { nodeBody } from '../../server/streams';

/**
 * A part body read from the Node request itself (routes/parts.ts): the chunks the socket gave,
 * not copies (Readable.toWeb copied each one: garbage for the major collections that took about
 * a third of the server's CPU at 16 uploads), with back-pressure seen as 'pause' and 'resume'
 * (the body timeouts watch them).
 */
describe('nodeBody', () => {
	it('yields the very chunks received, in order, and pauses the request while they wait', async () => {
		const incoming = new PassThrough();
		const events: string[] = [];
		incoming.on('pause', () => events.push('pause'));
		incoming.on('resume', () => events.push('resume'));
		const sent = Array.from({ length: 10 }, (_, i) => Buffer.alloc(1000, i));
		const body = nodeBody(incoming);
		const first = body.next();
		for (const chunk of sent) incoming.write(chunk);
		incoming.end();
		const received = [(await first).value as Uint8Array];
		for await (const chunk of body) received.push(chunk);
		expect(received).toHaveLength(sent.length);
		// The same memory, not a copy.
		received.forEach((chunk, i) => expect(chunk.buffer).toBe(sent[i]!.buffer));
		expect(events).toContain('pause');
		expect(events.at(-1)).toBe('resume');
	});

	it('fails when the request closes before its end (the client went away)', async () => {
		const incoming = new PassThrough();
		const body = nodeBody(incoming);
		const first = body.next();
		incoming.write(Buffer.alloc(10));
		expect((await first).value).toHaveLength(10);
		incoming.destroy();
		await expect(body.next()).rejects.toThrow('request closed before its body ended');
	});
});
