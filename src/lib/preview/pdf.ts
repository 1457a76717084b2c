// PDF previews with pdf.js. Imported only when a PDF is previewed (a dynamic import from the share
// page), so pdf.js (about 1.6 MB with its worker) never weighs on the upload or download pages.
import {
	AnnotationMode,
	getDocument,
	PDFWorker,
	RenderingCancelledException,
	TextLayer,
	VerbosityLevel,
	type PDFDocumentProxy,
	type RenderTask
} from 'pdfjs-dist';
// Copied into the build as a hashed file of our own origin: the worker runs under the app's CSP
// (worker-src 'self'; script-src 'self', no eval).
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';

/** A failure to show a PDF, with a code that src/lib/messages.ts words for people. */
export class PdfPreviewError extends Error {
	constructor(
		readonly code: 'PDF_UNREADABLE' | 'PDF_ENCRYPTED',
		cause: unknown
	) {
		super(cause instanceof Error ? cause.message : String(cause), { cause });
		this.name = 'PdfPreviewError';
	}
}

export interface PdfPage {
	/** Size of the drawn page in CSS pixels. */
	width: number;
	height: number;
}

export interface PdfDocument {
	readonly pageCount: number;
	/**
	 * Draws page `number` (from 1) `cssWidth` CSS pixels wide into `canvas`, and its text (to select
	 * and copy, and for screen readers) as plain spans into `textLayer`. A later call cancels an
	 * unfinished earlier one, whose promise then resolves to null.
	 */
	render(number: number, canvas: HTMLCanvasElement, textLayer: HTMLElement, cssWidth: number): Promise<PdfPage | null>;
	close(): Promise<void>;
}

/** Past this many device pixels across, a page is drawn no sharper (canvas memory grows with its square). */
const MAX_CANVAS_WIDTH = 4096;

/**
 * Parses `data` (taken over: it moves to pdf.js's worker) in a worker of its own, ended by `close`.
 * No script in the PDF runs (pdf.js runs none without its viewer's scripting sandbox), nothing
 * is evaluated as code, and links are neither drawn as links nor followed: annotations are
 * painted into the canvas as pixels, and no annotation layer is built.
 */
export async function openPdf(data: Uint8Array<ArrayBuffer>): Promise<PdfDocument> {
	const worker = new Worker(workerUrl, { type: 'module', name: 'pdf.js' });
	const pdfWorker = PDFWorker.create({ port: worker });
	let doc: PDFDocumentProxy;
	try {
		doc = await getDocument({
			data,
			worker: pdfWorker,
			// The page's CSP has no 'unsafe-eval': pdf.js must not try new Function() (it would
			// fail and report a CSP violation); it interprets PDF functions instead.
			isEvalSupported: false,
			// Everything comes from the decrypted bytes: nothing fetched, no XFA forms. (pdf.js's
			// optional data files are not shipped: fonts not embedded in the PDF come from the
			// system, and a JPEG 2000 or JBIG2 image, rare outside scans, is left out.)
			disableRange: true,
			disableStream: true,
			disableAutoFetch: true,
			enableXfa: false,
			verbosity: VerbosityLevel.ERRORS
		}).promise;
	} catch (err) {
		pdfWorker.destroy();
		worker.terminate();
		const name = (err as { name?: unknown } | null)?.name;
		throw new PdfPreviewError(name === 'PasswordException' ? 'PDF_ENCRYPTED' : 'PDF_UNREADABLE', err);
	}

	let task: RenderTask | null = null;
	let textLayer: TextLayer | null = null;
	let generation = 0;

	return {
		pageCount: doc.numPages,
		async render(number, canvas, container, cssWidth) {
			const mine = ++generation;
			task?.cancel();
			textLayer?.cancel();
			try {
				const page = await doc.getPage(number);
				if (mine !== generation) return null;
				const scale = cssWidth / page.getViewport({ scale: 1 }).width;
				const viewport = page.getViewport({ scale });
				const ratio = Math.min(window.devicePixelRatio || 1, MAX_CANVAS_WIDTH / viewport.width);
				canvas.width = Math.floor(viewport.width * ratio);
				canvas.height = Math.floor(viewport.height * ratio);
				// CSSOM, not a style attribute: allowed under the CSP's style-src.
				canvas.style.width = `${Math.floor(viewport.width)}px`;
				canvas.style.height = `${Math.floor(viewport.height)}px`;
				task = page.render({
					canvas,
					viewport,
					transform: ratio === 1 ? undefined : [ratio, 0, 0, ratio, 0, 0],
					annotationMode: AnnotationMode.ENABLE
				});
				await task.promise;
				if (mine !== generation) return null;
				container.replaceChildren();
				container.style.setProperty('--total-scale-factor', String(scale));
				textLayer = new TextLayer({ textContentSource: page.streamTextContent(), container, viewport });
				await textLayer.render();
				if (mine !== generation) return null;
				return { width: viewport.width, height: viewport.height };
			} catch (err) {
				if (err instanceof RenderingCancelledException || mine !== generation) return null;
				throw new PdfPreviewError('PDF_UNREADABLE', err);
			}
		},
		async close() {
			generation++;
			task?.cancel();
			textLayer?.cancel();
			await doc.destroy().catch(() => {});
			pdfWorker.destroy();
			worker.terminate();
		}
	};
}
