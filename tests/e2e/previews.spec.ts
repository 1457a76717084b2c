import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page, Worker } from '@playwright/test';
import { expect, test } from './fixtures';
import { captureBlobRanges, downloadWorkerActive, makeFile, uploadThroughUi } from './helpers';
import { muxWebm, type EncodedFrame } from './webm';

interface Watched {
	__cspViolations?: string[];
}

/** Records securitypolicyviolation events in the global scope it runs in (a document or a worker). */
function recordViolations(): void {
	const seen: string[] = [];
	Object.defineProperty(globalThis, '__cspViolations', { value: seen });
	globalThis.addEventListener('securitypolicyviolation', (event) => {
		const e = event as SecurityPolicyViolationEvent;
		seen.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
	});
}

/**
 * Every Content-Security-Policy violation in a page and its workers, as the events each global
 * scope sees. (Chromium lets code that the DevTools protocol evaluates use eval whatever the CSP,
 * and reports no worker's CSP message as console output, so these listeners are what tells.)
 */
async function watchCsp(page: Page): Promise<{ violations: () => Promise<string[]>; workers: () => Promise<string[]> }> {
	await page.addInitScript(recordViolations);
	// A worker's listener comes only once it runs: what it does before that goes unseen.
	const workers: { worker: Worker; watched: Promise<void> }[] = [];
	page.on('worker', (worker) => workers.push({ worker, watched: worker.evaluate(recordViolations).catch(() => {}) }));
	const list = () => [...((globalThis as Watched).__cspViolations ?? ['(not watched)'])];
	// A worker that has ended has nothing more to report.
	const readWorker = (worker: Worker) => worker.evaluate(list).catch((): string[] => []);
	return {
		violations: async () => [...(await page.evaluate(list)), ...(await Promise.all(workers.map((w) => readWorker(w.worker)))).flat()],
		/** The URLs of the workers started so far, once each is watched. */
		workers: async () => {
			await Promise.all(workers.map((w) => w.watched));
			return workers.map((w) => w.worker.url());
		}
	};
}

test.describe('previews', () => {
	test('a PDF shows page by page, drawn by pdf.js under the strict CSP, its links inert', async ({ browser, sealdrop }, testInfo) => {
		const dir = testInfo.outputDir;
		await mkdir(dir, { recursive: true });
		const pdfPath = join(dir, 'report.pdf');
		await writeFile(
			pdfPath,
			makePdf([
				{ text: 'Sealdrop PDF page one', fill: '0 0 1' },
				{ text: 'Second page of the test', fill: '1 0 0' }
			])
		);
		const other = await makeFile(dir, 'archive.bin', 1000);
		const link = await uploadThroughUi(await browser.newPage(), sealdrop.url, [pdfPath, other.path]);

		const context = await browser.newContext();
		const page = await context.newPage();
		const { violations, workers } = await watchCsp(page);
		const outside: string[] = [];
		context.on('request', (r) => {
			if (!r.url().startsWith(sealdrop.url)) outside.push(r.url());
		});
		const pdfjs: string[] = [];
		page.on('request', (r) => {
			if (/\/_app\/.*pdf/i.test(r.url())) pdfjs.push(r.url());
		});
		const response = await page.goto(link);
		const policy = response!.headers()['content-security-policy'] ?? '';
		expect(policy).toContain("worker-src 'self'");
		expect(policy).not.toMatch(/'unsafe-eval'|'unsafe-inline'/);
		// SvelteKit's route announcer has an inline style attribute that the CSP refuses (not the
		// preview's doing): wait for it, then count only what comes after.
		await page.locator('#svelte-announcer').waitFor({ state: 'attached' });
		// The watcher sees a violation when there is one: an inline <style> the CSP refuses.
		await page.evaluate(() => {
			const style = document.createElement('style');
			style.textContent = '#nothing {}';
			document.head.append(style);
			style.remove();
		});
		await expect.poll(async () => (await violations()).join('\n')).toContain('style-src-elem');
		const before = await violations();

		// A file with no preview says so; pdf.js is not part of the page until a PDF is previewed.
		await expect(page.getByRole('listitem').filter({ hasText: 'archive.bin' })).toContainText('No preview for this type of file');
		await expect(page.getByRole('button', { name: 'Preview archive.bin' })).toHaveCount(0);
		expect(pdfjs).toEqual([]);

		await page.getByRole('button', { name: 'Preview report.pdf' }).click();
		const preview = page.getByTestId('pdf-preview');
		await expect(preview.getByTestId('pdf-page')).toHaveText('Page 1 of 2');
		await expect(preview.locator('[data-drawn=true]')).toHaveCount(1);
		expect(pdfjs.some((url) => url.includes('pdf.worker'))).toBe(true);
		await expect(preview.getByTestId('pdf-text')).toHaveText('Sealdrop PDF page one');
		const first = await colours(page);
		expect(first.blue).toBeGreaterThan(10_000); // the page's blue box
		expect(first.red).toBe(0);
		expect(first.green).toBe(0);
		expect(first.dark).toBeGreaterThan(100); // its text

		// The link over the blue box is drawn as pixels only: no element to follow, and a click does nothing.
		await expect(page.getByTestId('preview').locator('a, [href]')).toHaveCount(0);
		const box = (await preview.getByTestId('pdf-canvas').boundingBox())!;
		const scale = box.width / 612;
		await page.mouse.click(box.x + 222 * scale, box.y + (792 - 500) * scale);
		// Page 2's green square comes from a PostScript function, which pdf.js compiles with eval
		// when allowed: it is drawn now, with pdf.js's worker watched.
		expect((await workers()).filter((url) => url.includes('pdf.worker'))).toHaveLength(1);
		await preview.getByRole('button', { name: 'Next page' }).click();
		await expect(preview.getByTestId('pdf-page')).toHaveText('Page 2 of 2');
		await expect(preview.locator('[data-drawn=true]')).toHaveCount(1);
		await expect(preview.getByTestId('pdf-text')).toHaveText('Second page of the test');
		const second = await colours(page);
		expect(second.red).toBeGreaterThan(10_000);
		expect(second.blue).toBe(0);
		expect(second.green).toBeGreaterThan(2_000);
		await expect(preview.getByRole('button', { name: 'Next page' })).toBeDisabled();

		expect(context.pages()).toHaveLength(1);
		expect(page.url()).toBe(link);
		expect(outside).toEqual([]); // neither the link nor the document's script reached out
		expect((await violations()).filter((v) => !before.includes(v))).toEqual([]);
		await context.close();
	});

	test('a video seeks: the later records are fetched by Range, and it plays on from there', async ({ browser, sealdrop }, testInfo) => {
		const dir = testInfo.outputDir;
		await mkdir(dir, { recursive: true });
		const sender = await browser.newPage();
		await sender.goto(sealdrop.url);
		// 10 s of incompressible frames at 10 fps, a key frame each second: about 24 MB, so that the
		// player cannot have the end of it buffered from its first read.
		const spec = { width: 640, height: 360, fps: 10, frames: 100 };
		const frames = await sender.evaluate(encodeVp8, spec);
		const webm = join(dir, 'clip.webm');
		await writeFile(
			webm,
			muxWebm(
				frames.map((f) => ({ ...f, data: Buffer.from(f.data, 'base64') }) satisfies EncodedFrame),
				spec.width,
				spec.height,
				1e6 / spec.fps
			)
		);
		const size = (await stat(webm)).size;
		expect(size).toBeGreaterThan(16_000_000);
		const link = await uploadThroughUi(sender, sealdrop.url, [webm]);

		const page = await browser.newPage();
		const ranges = captureBlobRanges(page);
		await page.goto(link);
		// Media streams through the download service worker; the page gives up waiting for it after
		// 5 s (then small media play from memory), which a loaded test machine can exceed.
		await downloadWorkerActive(page);
		await page.getByRole('button', { name: 'Preview clip.webm' }).click();
		await expect(page.locator('iframe.media.video')).toHaveAttribute('sandbox', 'allow-same-origin');
		// The frame runs no script; its same-origin parent reads and drives the player.
		await page.waitForFunction(() => {
			const v = document.querySelector<HTMLIFrameElement>('iframe.media')?.contentDocument?.querySelector('video');
			return (v?.readyState ?? 0) >= 1;
		});
		expect(
			await page.evaluate(
				() => document.querySelector<HTMLIFrameElement>('iframe.media')!.contentDocument!.querySelector('video')!.duration
			)
		).toBeCloseTo(10, 1);

		const before = ranges.length;
		const seeked = await page.evaluate(
			() =>
				new Promise<number>((resolve) => {
					const v = document.querySelector<HTMLIFrameElement>('iframe.media')!.contentDocument!.querySelector('video')!;
					v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
					v.currentTime = 8.5;
				})
		);
		expect(seeked).toBeCloseTo(8.5, 1);
		// The seek read ciphertext from near 85 % of the file, not the file from its start.
		const starts = ranges.slice(before).map((r) => Number(/^bytes=(\d+)-/.exec(r)?.[1] ?? -1));
		expect(starts.some((start) => start > size * 0.6)).toBe(true);

		// And it plays on from there: frames decoded, time moving past the seek point.
		await page.evaluate(() => {
			const v = document.querySelector<HTMLIFrameElement>('iframe.media')!.contentDocument!.querySelector('video')!;
			v.muted = true;
			return v.play();
		});
		await page.waitForFunction(() => {
			const v = document.querySelector<HTMLIFrameElement>('iframe.media')!.contentDocument!.querySelector('video')!;
			return v.currentTime > 8.9 && v.getVideoPlaybackQuality().totalVideoFrames > 0 && v.error === null;
		});
	});
});

/** Counts of clearly blue, red and green pixels, and of dark ones, on the preview's canvas. */
function colours(page: Page): Promise<{ blue: number; red: number; green: number; dark: number }> {
	return page.getByTestId('pdf-canvas').evaluate((canvas: HTMLCanvasElement) => {
		const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
		const counts = { blue: 0, red: 0, green: 0, dark: 0 };
		for (let i = 0; i < data.length; i += 4) {
			const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
			if (b > 200 && r < 60 && g < 60) counts.blue++;
			else if (r > 200 && g < 60 && b < 60) counts.red++;
			else if (g > 200 && r < 60 && b < 60) counts.green++;
			else if (r < 80 && g < 80 && b < 80) counts.dark++;
		}
		return counts;
	});
}

/**
 * A PDF written by hand: one page per entry, its text in Helvetica and a 300×200 pt box of
 * `fill` (an RGB triple). The first page has a link over its box, the second a green square
 * painted by a PostScript function (which pdf.js compiles with eval where allowed), and the
 * document a script to run on opening: a preview must follow neither link nor script.
 */
function makePdf(pages: { text: string; fill: string }[]): Buffer {
	const shading = 4 + 2 * pages.length;
	const objects: string[] = [
		'<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.launchURL("https://example.invalid/pdf-script", true);) >> >>',
		`<< /Type /Pages /Kids [${pages.map((_, i) => `${4 + 2 * i} 0 R`).join(' ')}] /Count ${pages.length} >>`,
		'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'
	];
	const stream = (dictionary: string, body: string) => `<< ${dictionary} /Length ${body.length} >>\nstream\n${body}endstream`;
	pages.forEach((page, i) => {
		const first = i === 0;
		const extra = first
			? ` /Annots [<< /Type /Annot /Subtype /Link /Rect [72 400 372 600] /A << /S /URI /URI (https://example.invalid/pdf-link) >> >>]`
			: '';
		objects.push(
			`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> /Shading << /Sh1 ${shading} 0 R >> >> /Contents ${5 + 2 * i} 0 R${extra} >>`
		);
		const green = first ? '' : 'q 420 650 100 100 re W n /Sh1 sh Q\n';
		objects.push(stream('', `BT /F1 28 Tf 72 720 Td (${page.text}) Tj ET\n${page.fill} rg 72 400 300 200 re f\n${green}`));
	});
	objects.push(`<< /ShadingType 2 /ColorSpace /DeviceRGB /Coords [0 0 1 0] /Extend [true true] /Function ${shading + 1} 0 R >>`);
	objects.push(stream('/FunctionType 4 /Domain [0 1] /Range [0 1 0 1 0 1]', '{pop 0 1 0}\n'));
	let pdf = '%PDF-1.4\n';
	const offsets = objects.map((body, i) => {
		const offset = pdf.length;
		pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
		return offset;
	});
	const xref = pdf.length;
	pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
	for (const offset of offsets) pdf += `${String(offset).padStart(10, '0')} 00000 n \n`;
	pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
	return Buffer.from(pdf, 'latin1');
}

/**
 * Runs in the page: encodes `frames` frames of noise with WebCodecs' VP8 encoder, a key frame
 * each second, and returns them (data as base64: cheap over the DevTools protocol).
 */
async function encodeVp8(spec: { width: number; height: number; fps: number; frames: number }) {
	const { width, height, fps } = spec;
	const canvas = new OffscreenCanvas(width, height);
	const context = canvas.getContext('2d')!;
	const image = context.createImageData(width, height);
	const out: { timestamp: number; key: boolean; data: string }[] = [];
	let failure: unknown = null;
	const encoder = new VideoEncoder({
		output: (chunk) => {
			const bytes = new Uint8Array(chunk.byteLength);
			chunk.copyTo(bytes);
			let binary = '';
			for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
			out.push({ timestamp: chunk.timestamp, key: chunk.type === 'key', data: btoa(binary) });
		},
		error: (e) => (failure = e)
	});
	encoder.configure({ codec: 'vp8', width, height, bitrate: 40_000_000, framerate: fps });
	for (let i = 0; i < spec.frames; i++) {
		for (let at = 0; at < image.data.length; at += 65_536) crypto.getRandomValues(image.data.subarray(at, at + 65_536));
		context.putImageData(image, 0, 0);
		const frame = new VideoFrame(canvas, { timestamp: Math.round((i * 1e6) / fps), duration: Math.round(1e6 / fps) });
		encoder.encode(frame, { keyFrame: i % fps === 0 });
		frame.close();
	}
	await encoder.flush();
	encoder.close();
	if (failure) throw failure;
	return out;
}
