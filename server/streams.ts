/** A request body as the blob store accepts it. */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

function isWebStream(source: ByteSource): source is ReadableStream<Uint8Array> {
	return typeof (source as ReadableStream<Uint8Array>).getReader === 'function';
}

/** Iterates a web stream or an async iterable; leaving early cancels the stream. */
export async function* chunksOf(source: ByteSource): AsyncGenerator<Uint8Array> {
	if (!isWebStream(source)) {
		yield* source;
		return;
	}
	const reader = source.getReader();
	let finished = false;
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) {
				finished = true;
				return;
			}
			yield value;
		}
	} finally {
		// Stop the sender: without this an abandoned request body keeps flowing into memory.
		if (!finished) await reader.cancel().catch(() => {});
		reader.releaseLock();
	}
}

/**
 * A pull-based web stream over an async iterable: nothing is read until the consumer asks
 * (highWaterMark 0), so memory stays at one chunk and a HEAD request opens no file.
 */
export function toWebStream(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
	const iterator = source[Symbol.asyncIterator]();
	return new ReadableStream<Uint8Array>(
		{
			async pull(controller) {
				try {
					const { done, value } = await iterator.next();
					if (done) controller.close();
					else controller.enqueue(value);
				} catch (error) {
					controller.error(error);
				}
			},
			async cancel() {
				await iterator.return?.();
			}
		},
		{ highWaterMark: 0 }
	);
}

/** Passes at most `max` bytes through; one more byte throws `tooLarge()` and stops the source. */
export async function* limitBytes(source: ByteSource, max: number, tooLarge: () => Error): AsyncGenerator<Uint8Array> {
	let total = 0;
	for await (const chunk of chunksOf(source)) {
		total += chunk.byteLength;
		if (total > max) throw tooLarge();
		yield chunk;
	}
}

/**
 * Re-throws a failure of the source itself (the client hung up, the connection broke) as
 * `broken()`: a client problem, not a server error.
 */
export async function* guardSource(source: ByteSource, broken: () => Error): AsyncGenerator<Uint8Array> {
	const chunks = chunksOf(source);
	try {
		for (;;) {
			let next: IteratorResult<Uint8Array>;
			try {
				next = await chunks.next();
			} catch {
				throw broken();
			}
			if (next.done) return;
			yield next.value;
		}
	} finally {
		await chunks.return(undefined);
	}
}

/** Chunks a Node request body may queue before it is paused (back-pressure to the client). */
const NODE_BODY_QUEUE = 4;

/**
 * The body of a Node request, chunk by chunk as received (no copy): in flowing mode, paused while
 * `NODE_BODY_QUEUE` chunks wait and resumed as they are taken, so its 'pause' and 'resume' events
 * (which the body timeouts watch) come as they do under Hono's web stream. That stream
 * (Readable.toWeb) copies every chunk into a new ArrayBuffer, doubling the memory each upload
 * churns through: at 16 uploads at once major collections were about a third of the server's CPU
 * (npm run bench, server-scale, under perf).
 * Ends with an error if the request closes before its end (the client went away).
 */
export async function* nodeBody(incoming: NodeJS.ReadableStream & { readableEnded?: boolean }): AsyncGenerator<Uint8Array> {
	const queue: Uint8Array[] = [];
	let ended = false;
	let failure: unknown;
	let wake: (() => void) | undefined;
	const notify = () => {
		wake?.();
		wake = undefined;
	};
	const onData = (chunk: Uint8Array | string) => {
		queue.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
		if (queue.length >= NODE_BODY_QUEUE) incoming.pause();
		notify();
	};
	const onEnd = () => {
		ended = true;
		notify();
	};
	const onError = (error: unknown) => {
		failure ??= error;
		notify();
	};
	const onClose = () => {
		if (!ended) failure ??= new Error('request closed before its body ended');
		notify();
	};
	incoming.on('data', onData);
	incoming.on('end', onEnd);
	incoming.on('error', onError);
	incoming.on('close', onClose);
	try {
		for (;;) {
			const chunk = queue.shift();
			if (chunk) {
				if (queue.length < NODE_BODY_QUEUE / 2 && incoming.isPaused()) incoming.resume();
				yield chunk;
				continue;
			}
			if (ended) return;
			if (failure !== undefined) throw failure;
			await new Promise<void>((resolve) => (wake = resolve));
		}
	} finally {
		incoming.off('data', onData);
		incoming.off('end', onEnd);
		incoming.off('error', onError);
		incoming.off('close', onClose);
		// Left unread (refused or broken off): hold it, as a cancelled web stream would.
		if (!ended) incoming.pause();
	}
}
