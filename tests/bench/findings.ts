/**
 * What the pipeline experiments of issue 17 found, printed with every bench report so that the
 * next person tuning the transfer engine starts from the numbers, not from guesses. Measured on
 * the 2-core bench machine while other work loaded it heavily (load average 12–21): absolute
 * rates swing ±40 % between minutes, so each comparison alternated the variants A B B A within
 * one run of the UI phases (1 GiB; the tuning knobs used for it are not in the product).
 */
export const PIPELINE_FINDINGS: readonly string[] = [
	'Pipeline experiments (1 GiB, 2 cores loaded by other work: whole-bench ratios of unchanged code moved by',
	'±20 points between runs, so comparisons alternated the variants A B B A within one run; MiB/s, growth MiB):',
	'- Parts per worker and workers (an earlier stop; upload growth at 1 / 4 GiB): 2 parts × 2 workers 263 / 305 MiB,',
	'  2 × 3: 225 / 238, 1 × 3: 166 / 202 but about 5 % slower. Kept: 2 parts per worker.',
	'- Worker recycling off (upload; 2 runs, not alternated): browser growth 502–529 MiB against 233–291 with',
	'  a new worker every 2 parts: the retained memory is real. Likely cause (from these numbers, not yet seen',
	"  in a heap snapshot): each part is a Blob request body whose 8 MiB stay in the browser's blob registry",
	"  until the worker's V8 collects the small Blob object, and V8 does not count those bytes, so nothing",
	'  prompts a collection. Uint8Array bodies (bytes V8 counts) without recycling: 328 MiB (1 run), still over',
	'  the 300 MiB target; with recycling 359–363 MiB and no clear gain in rate. Recycling and Blob bodies stay.',
	'- 4 parts in flight of 16 MiB, no recycling: growth 634–683 MiB: over the memory target, not kept.',
	'  With growth already 230–290 MiB at 3 × 8 MiB, more or larger parts in flight have no memory headroom.',
	'- Download pipelining (kept): the page asks the worker for the next chunk while it writes this one,',
	'  the service worker asks for 3 chunks ahead of its stream (which pulls one at a time), and File System',
	'  Access writes are not awaited one by one: service worker 128 vs 100 and 81 vs 67 (+21–28 %),',
	'  File System Access 112 vs 86 and 61 vs 49 (+24–30 %), growth not higher (114–251 vs 172–324).',
	'- Upload ceiling (issue 17; 1 GiB, 5 runs at load 2–11, MiB/s and % of the bare single PUT of the File;',
	'  CPU-s per GiB browser + server, from /proc utime+stime; yardsticks of yardsticks.ts, 8 MiB parts 3 in flight):',
	'  bare 122–263 (CPU 3.1–3.7 + 1.7–4.2); parts of in-memory bytes, no crypto: 64–126 % (Blob 4.5–5.6, Uint8Array',
	'  4.0–4.7 + ~4); the same sealed with AES-GCM (WebCrypto, 64 KiB records): 58–92 % (5.8–7.0 + ~4); read from',
	'  the file per part (File.slice().arrayBuffer()) and sealed, as the Sealdrop worker does it but without its code:',
	'  46–64 % (8.1–9.0 + ~4); Sealdrop: 35–60 % (9.7–11.2 + 2.4–4.0), 72–94 % of that last yardstick.',
	'  Quietest run: bare 263, Sealdrop 109, file yardstick 121, AES in memory 181, parts alone 207. Bare uses',
	'  ~1.7 cores, Sealdrop and the file yardstick ~1.45: reading the file through the browser (its IO thread and thread pool) and sealing cost twice the CPU of',
	'  the bare PUT, which streams from disk in the network service. 75 % of bare is out of reach on this machine',
	'  for any "read, encrypt, upload parts" page: the yardstick without Sealdrop reaches 46–64 %.',
	'- Reading each part as 4 slices of 2 MiB at once (38–60 %), or as a stream sealed as it arrives (33–55 %):',
	'  slower than one 8 MiB read per part (48–64 %) in the same runs. Not used.',
	'- Uint8Array bodies copied from a reused per-worker part buffer (A = product, B = variant, A B B A in one run):',
	'  with recycling every 2 parts 99 vs 109 (no gain); every 4 parts 78 vs 73, growth 321 vs 262 MiB; every 8',
	'  parts 110 vs 94, growth 388 vs 256; never 60 vs 75, growth 493 vs 218. Fewer workers save 1.2–2.3 browser',
	'  CPU-s/GiB (worker start-up, blob registry), but each step over 2 parts per worker breaks the 300 MiB',
	'  growth target at 1 GiB already. Not kept: the pipeline stays as it was.',
	'- Not tried: streamed request bodies need HTTP/2 in Chromium (the bench server speaks HTTP/1.1);',
	'  writing from the decrypting worker into the writable, or decrypting in the service worker, needs the',
	'  sinks to live in the worker (resume and progress then cross threads): the next step for the download.'
];
