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
	'- Not tried: streamed request bodies need HTTP/2 in Chromium (the bench server speaks HTTP/1.1);',
	'  writing from the decrypting worker into the writable, or decrypting in the service worker, needs the',
	'  sinks to live in the worker (resume and progress then cross threads): the next step for the download.'
];
