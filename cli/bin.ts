#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { processIo } from './io';
import { run } from './main';

// The young generation stays at its first size: WebCrypto's output buffers are freed only when
// their small JS handles are collected, and a grown young generation is scavenged too rarely, so
// native memory piled up (the bench's CLI peak RSS). Set here so `npx sealdrop` gets it, not in
// NODE_OPTIONS; --max-semi-space-size has no effect once V8 runs. A V8 with a minimum factor of 2
// (newer ones) makes this a no-op.
setFlagsFromString('--semi-space-growth-factor=1');

// Ctrl-C stops the transfer; its state stays for a resume. A second Ctrl-C quits at once.
const controller = new AbortController();
process.once('SIGINT', () => {
	controller.abort();
	process.once('SIGINT', () => process.exit(130));
});
process.exitCode = await run(process.argv.slice(2), processIo(controller.signal));
