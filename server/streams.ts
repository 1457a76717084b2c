import type { FileHandle } from 'node:fs/promises';

/** A request body as the blob store accepts it. */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

function isWebStream(source: ByteSource): source is ReadableStream<Uint8Array> {
	return typeof (source as ReadableStream<Uint8Array>).getReader === 'function';
}

/**
 * Iterates a web stream or an async iterable; leaving early cancels the stream. An iterable is
 * returned as it is: each generator stacked on an upload's body was one more promise per chunk
 * (npm run bench, server-scale).
 */
export function chunksOf(source: ByteSource): AsyncIterable<Uint8Array> {
	return isWebStream(source) ? webChunks(source) : source;
}

async function* webChunks(source: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
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

/** Opens a file for `fileStream`; called at the first pull. */
export type OpenFile = () => Promise<FileHandle>;

/**
 * Bytes `start … endExclusive−1` of the files `parts` open, one after another, as one web stream
 * read straight from the file handle: a fresh buffer per chunk (the consumer may keep it) and one
 * chunk read ahead while the consumer sends the last. Nothing is opened before the first pull
 * (highWaterMark 0: a HEAD request opens no file); each file is closed at its end, on cancel and
 * on error. This replaced fs read stream → async generator → web stream: at 16 downloads at once
 * the hops per chunk (and the stacked web streams after them) were the server's extra CPU over a
 * bare Node server (npm run bench, server-scale).
 */
export function fileStream(
	parts: { open: OpenFile; start: number; endExclusive: number }[],
	chunkBytes: number,
	/** The first part's file, opened already (it is closed however the stream ends). */
	opened?: FileHandle
): ReadableStream<Uint8Array> {
	let index = 0;
	let handle = opened;
	let position = parts[0]?.start ?? 0;
	let cancelled = false;
	/** The read under way, if any: cancel waits for it before closing the file. */
	let reading: Promise<Uint8Array | null> | undefined;
	let ahead: Promise<Uint8Array | null> | undefined;
	const closeFile = async () => {
		const open = handle;
		handle = undefined;
		await open?.close();
	};
	/** The next chunk of the files, or null after the last byte. */
	const next = async (): Promise<Uint8Array | null> => {
		for (;;) {
			const part = parts[index];
			if (!part || cancelled) return null;
			if (!handle) {
				handle = await part.open();
				position = part.start;
			}
			const length = Math.min(chunkBytes, part.endExclusive - position);
			if (length > 0) {
				const buffer = Buffer.allocUnsafe(length);
				let filled = 0;
				while (filled < length) {
					const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
					if (bytesRead === 0) throw new Error(`file ended ${length - filled} bytes early`);
					filled += bytesRead;
				}
				position += length;
				return buffer;
			}
			await closeFile();
			index++;
		}
	};
	return new ReadableStream<Uint8Array>(
		{
			async pull(controller) {
				try {
					reading = ahead ?? next();
					ahead = undefined;
					const chunk = await reading;
					if (chunk === null) {
						await closeFile();
						controller.close();
						return;
					}
					// Read the next chunk while this one is sent; a failure surfaces at the next pull.
					ahead = reading = next();
					ahead.catch(() => {});
					controller.enqueue(chunk);
				} catch (error) {
					await closeFile().catch(() => {});
					controller.error(error);
				}
			},
			async cancel() {
				cancelled = true;
				await reading?.catch(() => null);
				await closeFile();
			}
		},
		{ highWaterMark: 0 }
	);
}

/**
 * `source` with `hooks` watching it: each chunk as it passes, a failure before it is passed on.
 * One pull-through layer (no TransformStream and its pipe, no generator).
 */
export function watchStream(
	source: ReadableStream<Uint8Array>,
	hooks: { chunk?(chunk: Uint8Array): void; error?(error: unknown): void }
): ReadableStream<Uint8Array> {
	const reader = source.getReader();
	return new ReadableStream<Uint8Array>(
		{
			async pull(controller) {
				let result: ReadableStreamReadResult<Uint8Array>;
				try {
					result = await reader.read();
				} catch (error) {
					hooks.error?.(error);
					controller.error(error);
					return;
				}
				if (result.done) controller.close();
				else {
					hooks.chunk?.(result.value);
					controller.enqueue(result.value);
				}
			},
			async cancel(reason) {
				await reader.cancel(reason);
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
	const chunks = chunksOf(source)[Symbol.asyncIterator]();
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
		await chunks.return?.();
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
