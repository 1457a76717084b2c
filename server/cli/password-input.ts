import type { Readable } from 'node:stream';

/** The whole of `input` as the password, without the one line break a shell pipe adds. */
export async function readPasswordFrom(input: Readable): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of input) chunks.push(Buffer.from(chunk as Uint8Array));
	return Buffer.concat(chunks)
		.toString('utf8')
		.replace(/\r?\n$/, '');
}

/**
 * Asks on the terminal with echo off (raw mode: the typed characters are never printed).
 * Enter ends the line, Backspace deletes, Ctrl-C or Ctrl-D aborts.
 */
export function promptHidden(
	prompt: string,
	stdin: NodeJS.ReadStream = process.stdin,
	out: NodeJS.WriteStream = process.stderr
): Promise<string> {
	return new Promise((resolve, reject) => {
		let typed = '';
		const finish = (error?: Error) => {
			stdin.off('data', onData);
			stdin.setRawMode(false);
			stdin.pause();
			out.write('\n');
			if (error) reject(error);
			else resolve(typed);
		};
		const onData = (data: Buffer) => {
			for (const char of data.toString('utf8')) {
				if (char === '\r' || char === '\n') return finish();
				if (char === '\u0003' || char === '\u0004') return finish(new Error('cancelled'));
				if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
				else if (char >= ' ') typed += char;
			}
		};
		// Echo off before the prompt shows: what is typed as soon as it appears is never echoed.
		stdin.setRawMode(true);
		out.write(prompt);
		stdin.resume();
		stdin.on('data', onData);
	});
}
