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
	'- Worker writes (issue 17; kept, now the File System Access save), 8 saves alternated A B B A B A A B in',
	'  one run: the crypto worker opens the writable itself (the FileSystemFileHandle posted to it) and writes',
	'  what it decrypts, the page hearing only byte counts, vs the page writing: 73 / 78 / 80 / 73 vs',
	'  88 / 75 / 82 / 68 (medians 76 vs 79), CPU 11.6–12.9 vs 11.6–12.2 CPU-s/GiB, growth 92–111 vs 183–230',
	'  (the page writing reached 319, over the 300 MiB budget, in another run); at 256 MiB (one A B B A)',
	'  119 / 100 vs 83 / 90. Rate and CPU unchanged (the hop is one transferred, not copied, 1 MiB buffer per',
	'  chunk); kept for the memory: growth halved. The 4 MiB entry below was measured with the page writing.',
	'- FSA writes gathered to 4 MiB on the page, 2 runs of 8 alternated: 97 / 121 / 135 / 127 vs 101 / 123 /',
	'  117 / 118, and 103 / 98 / 96 / 107 vs 98 / 93 / 81 / 89 (medians +5 %, +10 %), CPU 2–5 % lower (fewer',
	'  writes through the browser process), growth 167–186 vs 212–240. Not kept yet: small, near the noise.',
	'- CPU-s/GiB (all browser processes, /proc utime + stime; in the table): this machine is CPU-bound (load',
	'  6–18 on 2 cores), so rates follow CPU per byte. Bare download 2.1–2.7 (browser process 1.2–1.7,',
	'  renderer 0.5); a service worker passing the bytes through untouched 4.8–5.5, with one AES pass',
	'  6.8–7.3 (renderer 4.1–4.5); Sealdrop through the service worker 9.7–11.4 (renderer 7.1–8.3), through',
	"  FSA 10.4–12.9 (renderer 5.6–6.7, browser process 3.1–5.5, where Chromium's writable writes).",
	'  The one-pass AES save, the fewest steps a decrypting save can take, reached 34–73 % of bare in the same',
	'  runs: 75 % of bare is at or past what any decrypting save reaches here. What is left to win is CPU:',
	"  Sealdrop's 3–5 CPU-s/GiB above that save (the worker's batch and read copies, a WebCrypto call per",
	'  64 KiB record, the FSA per-write cost in the browser process).',
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
	'  decrypting in the service worker (network, service worker, downloads): its best case is the one-pass',
	"  AES save above, 6.8–7.3 vs Sealdrop's 9.7–11.4 CPU-s/GiB through the service worker (rates 118 / 143 /",
	'  142 vs 100 / 91 / 156 in the same runs); it needs the key, the ticket and resume in that worker.'
];

/**
 * What the server-scale experiments of issue 17 found (`npm run bench -- --only server-scale`
 * prints them under its table). Same machine and the same caveat: rates swing with the other work,
 * so CPU-seconds per GiB (/proc, all the server's threads) compared in alternating rounds are the
 * figures to trust, not MiB/s.
 */
export const SERVER_FINDINGS: readonly string[] = [
	'Server scale experiments (16 transfers of 64 MiB; the 2 cores shared with the load generator and other work):',
	'- Download profile before (node --cpu-prof, download window; wall-clock samples, so native calls include being',
	'  preempted when they wake a pool thread or the client): main thread ~75 % busy; file reads 18 %, socket writes',
	'  17 %, GC 9 %, web streams and generators ~10 % (four stacked per blob: fs stream → generator → stream, the',
	'  failure log (generator → stream), the route cut-off stream, the metrics TransformStream pipe), SQLite/Kysely',
	'  per request ~5 %. Bare: reads 41 %, writes 18 %, GC 4 %, almost nothing else. Per process, download cost',
	'  1.2–1.9 CPU-s/GiB against bare 0.7–1.0, system time 23–35 % of it against 60 %: the extra was user time.',
	'- Kept: one web stream reading the file handle (a chunk read ahead), one pull-through layer each for the failure',
	'  log and the byte counter, chunksOf passing iterables through (an upload chunk crossed 6 generators, now 3).',
	'  12 alternating rounds each (16 × 32 MiB): download 1.48 → 1.32 CPU-s/GiB (mean; single rounds 1.0–2.2),',
	'  upload 2.34 → 2.11: about −10 %, the size of the noise (two full-bench A B B A pairs at 16 transfers: download',
	'  1.19 → 1.34, upload 2.96 → 2.40). The stream plumbing was not where most of the extra CPU went.',
	'- Read chunk size (A B B A): 1 MiB cost more (1.60–1.71 vs 1.21–1.24 s/GiB at 256 KiB), 64 KiB too',
	'  (1.66–2.30 vs 1.09): 256 KiB stays.',
	'- Upload is the larger gap (2.1–3.1 vs bare 1.5–1.8 s/GiB): GC ~16 % of busy time, Kysely building each',
	'  query and better-sqlite3 preparing it again (no statement cache) ~5 %, per part a file open, writev, close, rename.',
	'- p99 yardstick, bare GET /ping under its own load: 34–38 ms with the machine otherwise quiet (load 1–3),',
	'  84–375 ms under the other work (load 13–18); Sealdrop GET /shares/:id 73–81 ms quiet, 140–530 ms loaded',
	'  (the worst in either phase). Below 100 ms only on an otherwise idle machine, for bare too.',
	'- Not tried yet: a statement cache for SQLite; piping a Node Readable to the socket (no web stream at all:',
	'  the route would write its own response, outside Hono); fewer garbage objects per upload chunk.'
];
