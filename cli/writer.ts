import { lstat, mkdir, open, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import type { SaveSink } from '../src/lib/save/sinks';
import { localIo, saveError } from './errors';

/** Where a share's file lands: `final` once verified, `partial` meanwhile (named so it never looks finished). */
export interface Target {
	final: string;
	partial: string;
}

const inside = (root: string, path: string) => {
	const rel = relative(root, path);
	return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

/**
 * Targets for already-sanitised relative paths (names.ts zipPaths: no "..", never absolute),
 * checked again here: each must resolve inside `root`, also through symbolic links already there.
 */
export async function planTargets(root: string, paths: string[], shareId: string): Promise<Target[]> {
	return paths.map((path, i) => {
		const final = join(root, ...path.split('/'));
		if (!inside(root, final)) throw localIo('UNSAFE_NAME', `Refusing to write outside ${root}: ${path}`);
		return { final, partial: join(dirname(final), `.sealdrop-${shareId}-${i}.part`) };
	});
}

export async function exists(path: string): Promise<boolean> {
	try {
		await lstat(path);
		return true;
	} catch {
		return false;
	}
}

/** Creates the target's folders and checks that the real folder is still inside the real root. */
export async function prepareFolder(root: string, target: Target): Promise<void> {
	const folder = dirname(target.final);
	await mkdir(folder, { recursive: true }).catch((err: unknown) => Promise.reject(saveError(err, folder)));
	const [realRoot, realFolder] = await Promise.all([realpath(root), realpath(folder)]);
	if (realFolder !== realRoot && !inside(realRoot, realFolder)) {
		throw localIo('UNSAFE_NAME', `Refusing to write through a link that leaves ${root}: ${relative(root, target.final)}`);
	}
}

/** Bytes already verified and written by an earlier, interrupted run (0 if none). */
export async function partialSize(target: Target): Promise<number> {
	try {
		return (await stat(target.partial)).size;
	} catch {
		return 0;
	}
}

/**
 * Appends to the partial file; on close (every byte verified) renames it to its final name,
 * refusing to replace a file unless `force`. On abort the partial file stays for a resume.
 */
export function fileSink(target: Target, force: boolean): SaveSink {
	let handle: Promise<FileHandle> | null = null;
	const file = () => (handle ??= open(target.partial, 'a', 0o600));
	// A full disk or a refused write names the folder and says what to do (errors.ts saveError).
	const saving = <T>(work: () => Promise<T>) => work().catch((err: unknown) => Promise.reject(saveError(err, dirname(target.final))));
	return {
		write: (chunk) =>
			saving(async () => {
				const fh = await file();
				for (let off = 0; off < chunk.byteLength;) off += (await fh.write(chunk, off)).bytesWritten;
			}),
		async close() {
			await saving(async () => {
				const fh = await file();
				await fh.sync();
				await fh.close();
			});
			if (!force && (await exists(target.final))) {
				throw localIo('FILE_EXISTS', `${target.final} appeared meanwhile; the download is kept as ${target.partial}.`);
			}
			await saving(() => rename(target.partial, target.final));
		},
		async abort() {
			if (handle) await (await handle).close();
		}
	};
}

/** Removes a partial file that can never be completed (tampered data, not an interruption). */
export const discard = (target: Target) => rm(target.partial, { force: true });
