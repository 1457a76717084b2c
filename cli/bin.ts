#!/usr/bin/env node
import { processIo } from './io';
import { run } from './main';

// Ctrl-C stops the transfer; its state stays for a resume. A second Ctrl-C quits at once.
const controller = new AbortController();
process.once('SIGINT', () => {
	controller.abort();
	process.once('SIGINT', () => process.exit(130));
});
process.exitCode = await run(process.argv.slice(2), processIo(controller.signal));
