import { createWriteStream, openAsBlob } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { localIo, usage } from './errors';
import type { CliIo } from './io';

/** A file to send: a disk-backed File (never read whole into memory) and where it came from. */
export interface Source {
	/** Absolute path on disk. */
	path: string;
	/** Its name in the share: the file name, or its path inside a folder given ("docs/sub/a.txt"). */
	file: File;
}

async function fileFrom(path: string, name: string): Promise<Source> {
	const info = await stat(path);
	// openAsBlob reads the file lazily from disk; a File around it stays disk-backed.
	const blob = await openAsBlob(path);
	return { path, file: new File([blob], name, { lastModified: Math.floor(info.mtimeMs) }) };
}

/** Files of a folder, recursively, named by their path from the folder's parent (as browsers do). */
async function walk(root: string, dir: string, out: Source[]): Promise<void> {
	const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	for (const entry of entries) {
		const path = join(dir, entry.name);
		// Symbolic links are skipped: a link to a parent folder would never end, one outside may surprise.
		if (entry.isDirectory()) await walk(root, path, out);
		else if (entry.isFile()) out.push(await fileFrom(path, relative(root, path).split(sep).join('/')));
	}
}

/** Files and folders named on the command line, in order. */
export async function collectSources(args: string[], io: CliIo): Promise<Source[]> {
	const out: Source[] = [];
	for (const arg of args) {
		const path = resolve(io.cwd, arg);
		let info;
		try {
			info = await lstat(path);
			if (info.isSymbolicLink()) info = await stat(path);
		} catch (err) {
			throw localIo('NOT_FOUND_LOCAL', `Cannot read ${arg}: ${(err as Error).message}`);
		}
		if (info.isDirectory()) {
			const before = out.length;
			await walk(resolve(path, '..'), path, out);
			if (out.length === before) throw localIo('FOLDER_EMPTY', `The folder ${arg} has no files in it.`);
		} else if (info.isFile()) {
			out.push(await fileFrom(path, basename(path)));
		} else {
			throw localIo('NOT_A_FILE', `${arg} is neither a file nor a folder.`);
		}
	}
	return out;
}

/**
 * Standard input, copied to a private spool file first: a share's size is part of its creation,
 * and the file keeps memory flat whatever the size. The caller removes it.
 */
export async function spoolStdin(io: CliIo, dir: string, name: string): Promise<Source> {
	if (io.stdin.isTTY) throw usage('Standard input is a terminal: pipe something in, e.g. `tar c dir | sealdrop send - --name dir.tar`.');
	const path = join(dir, `stdin-${process.pid}-${io.now()}`);
	await pipeline(io.stdin, createWriteStream(path, { mode: 0o600 }));
	return fileFrom(path, name);
}
