import { PassThrough } from 'node:stream';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../cli/io';
import { progressBar, progressLine } from '../../../cli/progress';
import { CliHarness } from './harness';

/**
 * The dark modules `qrcode` draws with half blocks, as rows of booleans, without the quiet zone.
 * (Compared module by module with the code of the link: jsQR misreads about one in ten of these
 * version-6 codes at any scale, so decoding them would make a flaky test.)
 */
function terminalModules(text: string): boolean[][] {
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
	// One module of quiet zone around the code; an odd size leaves a light half line at the end.
	const size = rows[0]!.length - 2;
	return rows.slice(1, 1 + size).map((row) => row.slice(1, 1 + size));
}

/** The modules of the QR code of `text`, as the encoder makes them. */
function qrModules(text: string): boolean[][] {
	const { modules } = QRCode.create(text, {});
	return Array.from({ length: modules.size }, (_, y) => Array.from({ length: modules.size }, (_, x) => modules.get(y, x) === 1));
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
		expect(terminalModules(qr.join('\n'))).toEqual(qrModules(link!));
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
