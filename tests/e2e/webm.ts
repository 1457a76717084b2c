// A minimal WebM muxer for test videos: VP8 frames (from the browser's WebCodecs encoder) into a
// file with a Duration and Cues, so a player can seek by byte offset. MediaRecorder's WebM has
// neither (it is written live), and a player then reads from the start to find a later time.

export interface EncodedFrame {
	/** Microseconds from the start. */
	timestamp: number;
	key: boolean;
	data: Buffer;
}

/** An EBML variable-length size in 8 bytes (always valid, and its length never depends on the value). */
function size8(n: number): Buffer {
	const out = Buffer.alloc(8);
	out.writeBigUInt64BE(BigInt(n));
	out[0] = 0x01; // length marker: 8 bytes (sizes here are far below 2^56)
	return out;
}

/** An element: its ID (which carries its own length marker, as the spec writes it), size, body. */
function element(id: number, ...body: Buffer[]): Buffer {
	const data = Buffer.concat(body);
	const hex = id.toString(16);
	return Buffer.concat([Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'), size8(data.length), data]);
}

/** An unsigned integer element; `width` fixes its byte length (for offsets computed before they are known). */
function uint(id: number, value: number, width?: number): Buffer {
	const bytes = width ?? Math.max(1, Math.ceil(value.toString(16).length / 2));
	const out = Buffer.alloc(8);
	out.writeBigUInt64BE(BigInt(value));
	return element(id, out.subarray(8 - bytes));
}

const text = (id: number, value: string) => element(id, Buffer.from(value, 'ascii'));

function float(id: number, value: number): Buffer {
	const out = Buffer.alloc(8);
	out.writeDoubleBE(value);
	return element(id, out);
}

/** One cluster per key frame; a cue for each, pointing at its cluster. Timecodes in milliseconds. */
export function muxWebm(frames: EncodedFrame[], width: number, height: number, frameMicros: number): Buffer {
	const header = element(
		0x1a45dfa3,
		uint(0x4286, 1),
		uint(0x42f7, 1),
		uint(0x42f2, 4),
		uint(0x42f3, 8),
		text(0x4282, 'webm'),
		uint(0x4287, 2),
		uint(0x4285, 2)
	);
	const last = frames.at(-1)!;
	const info = element(
		0x1549a966,
		uint(0x2ad7b1, 1_000_000),
		text(0x4d80, 'sealdrop-test'),
		text(0x5741, 'sealdrop-test'),
		float(0x4489, (last.timestamp + frameMicros) / 1000)
	);
	const tracks = element(
		0x1654ae6b,
		element(0xae, uint(0xd7, 1), uint(0x73c5, 1), uint(0x83, 1), text(0x86, 'V_VP8'), element(0xe0, uint(0xb0, width), uint(0xba, height)))
	);

	const groups: EncodedFrame[][] = [];
	for (const frame of frames) {
		if (frame.key || groups.length === 0) groups.push([]);
		groups.at(-1)!.push(frame);
	}
	const clusters = groups.map((group) => {
		const base = Math.round(group[0]!.timestamp / 1000);
		const blocks = group.map((frame) => {
			const head = Buffer.alloc(4);
			head[0] = 0x81; // track 1
			head.writeInt16BE(Math.round(frame.timestamp / 1000) - base, 1);
			head[3] = frame.key ? 0x80 : 0;
			return element(0xa3, head, frame.data);
		});
		return { time: base, bytes: element(0x1f43b675, uint(0xe7, base), ...blocks) };
	});

	// Cues go before the clusters (a player reads them on open); positions are fixed-width, so
	// the Cues' own size is known before the positions are.
	const cues = (positions: number[]) =>
		element(
			0x1c53bb6b,
			...clusters.map((c, i) => element(0xbb, uint(0xb3, c.time), element(0xb7, uint(0xf7, 1), uint(0xf1, positions[i]!, 8))))
		);
	let at = info.length + tracks.length + cues(clusters.map(() => 0)).length;
	const positions = clusters.map((c) => {
		const position = at;
		at += c.bytes.length;
		return position;
	});
	const segment = element(0x18538067, info, tracks, cues(positions), ...clusters.map((c) => c.bytes));
	return Buffer.concat([header, segment]);
}
