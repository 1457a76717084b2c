import { describe, expect, it } from 'vitest';
import { checkReadable, filesOfDrop, filesOfEntries, FolderError, pathOf, type EntryLike } from '../../src/lib/folders';

/** A fake FileSystemFileEntry: hands out a File of `text`, or fails like a file that is gone. */
function fakeFile(name: string, text = name, fails = false): EntryLike {
	return {
		name,
		isFile: true,
		isDirectory: false,
		file: (ok: (file: File) => void, fail: (err: unknown) => void) =>
			queueMicrotask(() =>
				fails ? fail(new DOMException('A requested file or directory could not be found', 'NotFoundError')) : ok(new File([text], name))
			)
	} as EntryLike;
}

/** A fake FileSystemDirectoryEntry whose reader gives `batch` entries at a time, then an empty batch. */
function fakeDir(name: string, children: EntryLike[], options: { batch?: number; fails?: boolean } = {}): EntryLike & { reads: number } {
	const dir = {
		name,
		isFile: false,
		isDirectory: true,
		reads: 0,
		createReader: () => {
			let next = 0;
			return {
				readEntries: (ok: (entries: EntryLike[]) => void, fail: (err: unknown) => void) => {
					dir.reads++;
					if (options.fails) return queueMicrotask(() => fail(new DOMException('denied', 'SecurityError')));
					const batch = children.slice(next, next + (options.batch ?? 100));
					next += batch.length;
					queueMicrotask(() => ok(batch));
				}
			};
		}
	};
	return dir;
}

const paths = (files: File[]) => files.map(pathOf);

describe('filesOfEntries (dropped files and folders, with a fake entry tree)', () => {
	it('walks folders into files with their relative paths; a dropped file keeps its name', async () => {
		const tree = [
			fakeDir('docs', [fakeFile('a.txt', 'A'), fakeDir('sub', [fakeFile('x.txt', 'X')]), fakeDir('empty', [])]),
			fakeFile('top.pdf')
		];
		const files = await filesOfEntries(tree);
		expect(paths(files)).toEqual(['docs/a.txt', 'docs/sub/x.txt', 'top.pdf']);
		expect(files.map((f) => f.name)).toEqual(['a.txt', 'x.txt', 'top.pdf']);
		expect(await files[1]!.text()).toBe('X');
	});

	it('reads a folder in batches until an empty one (readEntries gives at most 100 at a time)', async () => {
		const children = Array.from({ length: 250 }, (_, i) => fakeFile(`f${i}.txt`));
		const dir = fakeDir('many', children, { batch: 100 });
		const files = await filesOfEntries([dir]);
		expect(files).toHaveLength(250);
		expect(pathOf(files[249]!)).toBe('many/f249.txt');
		expect(dir.reads).toBe(4); // 100, 100, 50, then the empty batch
	});

	it('refuses a dropped folder with no file in it, naming it', async () => {
		const error = await filesOfEntries([fakeFile('ok.txt'), fakeDir('photos', [fakeDir('raw', [])])]).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(FolderError);
		expect(error).toMatchObject({ code: 'FOLDER_EMPTY', path: 'photos' });
	});

	it('refuses the whole drop when one file or folder cannot be read, naming it', async () => {
		const unreadableFile = await filesOfEntries([fakeDir('docs', [fakeFile('a.txt'), fakeFile('gone.txt', '', true)])]).catch(
			(e: unknown) => e
		);
		expect(unreadableFile).toMatchObject({ code: 'ENTRY_UNREADABLE', path: 'docs/gone.txt' });
		const unreadableDir = await filesOfEntries([fakeDir('docs', [fakeDir('locked', [], { fails: true })])]).catch((e: unknown) => e);
		expect(unreadableDir).toMatchObject({ code: 'ENTRY_UNREADABLE', path: 'docs/locked' });
		const neither = await filesOfEntries([{ name: 'socket', isFile: false, isDirectory: false }]).catch((e: unknown) => e);
		expect(neither).toMatchObject({ code: 'ENTRY_UNREADABLE', path: 'socket' });
	});

	it('never reads a dropped folder as a file: a drop with entries is walked, not taken from its file list', async () => {
		const asFile = new File([new Uint8Array(4096)], 'docs'); // what the file list holds for a folder
		const data = {
			items: [{ kind: 'file', webkitGetAsEntry: () => fakeDir('docs', [fakeFile('a.txt')]) }],
			files: [asFile]
		} as unknown as DataTransfer;
		expect(paths(await filesOfDrop(data))).toEqual(['docs/a.txt']);
	});
});

describe('checkReadable', () => {
	it('passes readable files, empty ones included, and names one that cannot be read', async () => {
		await expect(checkReadable([new File(['x'], 'a.txt'), new File([], 'empty.txt')])).resolves.toBeUndefined();
		class Gone extends File {
			override slice(): Blob {
				return {
					arrayBuffer: () => Promise.reject(new DOMException('A requested file or directory could not be found', 'NotFoundError'))
				} as Blob;
			}
		}
		const error = await checkReadable([new File(['x'], 'a.txt'), new Gone(['?'], 'docs')]).catch((e: unknown) => e);
		expect(error).toMatchObject({ code: 'ENTRY_UNREADABLE', path: 'docs' });
	});
});
