import { PassThrough } from 'node:stream';
import jsQR from 'jsqr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../cli/io';
import { progressBar, progressLine } from '../../../cli/progress';
import { CliHarness } from './harness';

/** Reads the QR code `qrcode` draws with half blocks (dark modules) back into pixels and decodes it. */
function decodeTerminalQr(text: string): string | null {
	const lines = text
		.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '')
		.split('\n')
		.filter((l) => l.length > 0);
	const rows: boolean[][] = [];
	for (const line of lines) {
		const chars = [...line];
		rows.push(chars.map((c) => c === '█' || c === '▀'));
		rows.push(chars.map((c) => c === '█' || c === '▄'));
	}
	const scale = 4;
	const pad = 4 * scale;
	const width = rows[0]!.length * scale + 2 * pad;
	const height = rows.length * scale + 2 * pad;
	const pixels = new Uint8ClampedArray(width * height * 4).fill(255);
	rows.forEach((row, y) =>
		row.forEach((dark, x) => {
			if (!dark) return;
			for (let dy = 0; dy < scale; dy++)
				for (let dx = 0; dx < scale; dx++) {
					const i = ((pad + y * scale + dy) * width + pad + x * scale + dx) * 4;
					pixels.fill(0, i, i + 3);
				}
		})
	);
	return jsQR(pixels, width, height)?.data ?? null;
}

describe('sealdrop output', () => {
	const h = new CliHarness();
	beforeAll(() => h.start());
	afterAll(() => h.close());

	it('--qr prints the link, then a QR code of it', async () => {
		const sent = await h.run(['send', '--note', 'qr', '--qr']);
		expect(sent.code).toBe(0);
		const [link, ...qr] = sent.stdout.split('\n');
		expect(link).toMatch(/\/s\/[\w-]+#[\w-]{43}$/);
		expect(decodeTerminalQr(qr.join('\n'))).toBe(link);
	});

	it('a progress line shows the bar, percentage, bytes, speed and time left', () => {
		const line = progressLine(
			'Sending',
			{ done: 512 * 1024 * 1024, total: 1024 * 1024 * 1024, bytesPerSecond: 100 * 1024 * 1024, secondsLeft: 5.2 },
			80
		);
		expect(line).toMatch(/^Sending \[#+-+\] {2}50% 512\.0 MiB\/1\.0 GiB 100\.0 MiB\/s 0:05$/);
		expect(line.length).toBeLessThanOrEqual(80);
		expect(progressLine('Sending', { done: 0, total: 10, bytesPerSecond: 0, secondsLeft: null })).toContain('… --:--');
	});

	it('draws progress only on a terminal', () => {
		const io = (tty: boolean) => {
			const stderr = Object.assign(new PassThrough(), { isTTY: tty, columns: 100 });
			let text = '';
			stderr.on('data', (c: Buffer) => (text += c.toString()));
			return { io: { stderr } as unknown as CliIo, text: () => text };
		};
		const terminal = io(true);
		const bar = progressBar(terminal.io, 'Receiving', false);
		bar.listener!({ done: 1, total: 2, bytesPerSecond: 0, secondsLeft: null });
		bar.done();
		expect(terminal.text()).toMatch(/^\rReceiving \[.*\] {2}50%.*\n$/s);

		const pipe = io(false);
		expect(progressBar(pipe.io, 'Receiving', false).listener).toBeUndefined();
		expect(progressBar(terminal.io, 'Receiving', true).listener).toBeUndefined();
	});
});
