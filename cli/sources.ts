import { createWriteStream } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { localIo, usage } from './errors';
import type { CliIo } from './io';

/** A file to send: its name, size and time as a File (with no bytes in it) and where it is on disk. */
export interface Source {
	/** Absolute path on disk. */
	path: string;
	/** Its name in the share: the file name, or its path inside a folder given ("docs/sub/a.txt"). */
	file: File;
}

/**
 * A File that stands for a file on disk: name, size and time for the engine's metadata and
 * resume checks; its bytes are read from the path (node-backend.ts DiskSource), never through
 * the Blob, which holds none. Not fs.openAsBlob: in Node 20 its size is wrong from 4 GiB on
 * (taken modulo 2^32), which made a 4 GiB file a share of 0 bytes.
 */
class DiskFile extends File {
	constructor(
		readonly path: string,
		private readonly byteCount: number,
		name: string,
		lastModified: number
	) {
		super([], name, { lastModified });
	}
	override get size(): number {
		return this.byteCount;
	}
}

/** Where a File from `collectSources` or `spoolStdin` is on disk; undefined for any other File. */
export function diskPath(file: File): string | undefined {
	return file instanceof DiskFile ? file.path : undefined;
}

async function fileFrom(path: string, name: string): Promise<Source> {
	const info = await stat(path);
	return { path, file: new DiskFile(path, info.size, name, Math.floor(info.mtimeMs)) };
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
