import { describe, expect, it } from 'vitest';
import { portSink, portStream } from '../../../src/lib/service-worker/sw-flow';

/**
 * The page ↔ service worker flow control (downloads and media previews), over a real
 * MessageChannel: the page sends a chunk only when the worker's stream has asked for one.
 */
describe('portSink → portStream', () => {
	const chunk = (n: number, size = 8) => new Uint8Array(size).fill(n);

	it('delivers every chunk in order, then the end, and holds the page back while the stream is full', async () => {
		const { port1, port2 } = new MessageChannel();
		const body = portStream(port1, new CountQueuingStrategy({ highWaterMark: 2 }));
		let done = false;
		const { sink } = portSink(port2, { cancelled: 'stopped', failed: 'failed', done: () => (done = true) });
		await sink.write(chunk(1));
		await sink.write(chunk(2));
		// The queue holds 2 and nobody reads: the third write waits for a pull.
		let third = false;
		const writing = sink.write(chunk(3)).then(() => (third = true));
		// Nothing to wait on for something that must not happen: watch a short while, bounded.
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(third).toBe(false);
		const reader = body.getReader();
		expect((await reader.read()).value).toEqual(chunk(1));
		await writing;
		expect(third).toBe(true);
		await sink.close();
		expect(done).toBe(true);
		expect((await reader.read()).value).toEqual(chunk(2));
		expect((await reader.read()).value).toEqual(chunk(3));
		expect((await reader.read()).done).toBe(true);
	});

	it('with `ahead`, lets the page send that many chunks beyond what the stream has asked for', async () => {
		const { port1, port2 } = new MessageChannel();
		const body = portStream(port1, new CountQueuingStrategy({ highWaterMark: 1 }), 2);
		const { sink } = portSink(port2, { cancelled: 'stopped', failed: 'failed' });
		// The stream's own pull and the two ahead: three writes go through before anyone reads.
		await sink.write(chunk(1));
		await sink.write(chunk(2));
		await sink.write(chunk(3));
		let fourth = false;
		const writing = sink.write(chunk(4)).then(() => (fourth = true));
		await new Promise((resolve) => setTimeout(resolve, 50)); // bounded watch for what must not happen
		expect(fourth).toBe(false);
		// The extra chunks are on top of the stream's queue: it asks again once it is drained.
		const reader = body.getReader();
		for (const n of [1, 2, 3]) expect((await reader.read()).value).toEqual(chunk(n));
		await writing;
		await sink.close();
		expect((await reader.read()).value).toEqual(chunk(4));
		expect((await reader.read()).done).toBe(true);
	});

	it('sends a sub-array as a copy and takes a whole buffer without copying', async () => {
		const { port1, port2 } = new MessageChannel();
		const reader = portStream(port1, new CountQueuingStrategy({ highWaterMark: 4 })).getReader();
		const { sink } = portSink(port2, { cancelled: 'stopped', failed: 'failed' });
		const whole = chunk(7);
		const backing = chunk(9, 16);
		await sink.write(whole);
		await sink.write(backing.subarray(4, 8));
		expect(whole.byteLength).toBe(0); // transferred
		expect(backing.byteLength).toBe(16); // untouched
		expect((await reader.read()).value).toEqual(chunk(7));
		expect((await reader.read()).value).toEqual(chunk(9, 4));
		await sink.close();
	});

	it('fails the page’s next write when the browser stops reading', async () => {
		const { port1, port2 } = new MessageChannel();
		const body = portStream(port1, new CountQueuingStrategy({ highWaterMark: 1 }));
		const { sink } = portSink(port2, { cancelled: 'The preview stopped reading.', failed: 'failed' });
		await sink.write(chunk(1));
		await body.cancel();
		await expect(sink.write(chunk(2))).rejects.toMatchObject({ name: 'AbortError', message: 'The preview stopped reading.' });
		await sink.abort(new Error('ignored'));
	});

	it('errors the stream when the page aborts, so nothing partial looks complete', async () => {
		const { port1, port2 } = new MessageChannel();
		const reader = portStream(port1, new CountQueuingStrategy({ highWaterMark: 1 })).getReader();
		const { sink } = portSink(port2, { cancelled: 'stopped', failed: 'Download failed' });
		await sink.write(chunk(1));
		await sink.abort('not an Error');
		expect((await reader.read()).value).toEqual(chunk(1));
		await expect(reader.read()).rejects.toThrow('Download failed');
	});
});
