import { chmod, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { PendingUpload, PendingUploadStore } from '../src/lib/uploads/pending-uploads';

/** $XDG_CONFIG_HOME/sealdrop, else ~/.config/sealdrop. Holds secrets: directories 0700, files 0600. */
export function configDir(env: Record<string, string | undefined>): string {
	const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
	return join(base, 'sealdrop');
}

/** A share this machine sent: what delete, extend, limit and list need. */
export interface HistoryEntry {
	id: string;
	/** The API origin the share lives on. */
	server: string;
	/** The whole link, key included. */
	link: string;
	ownerToken: string;
	expiresAt: number;
	maxDownloads: number;
	size: number;
	names: string[];
	sentAt: number;
}

export interface Settings {
	/** Default server (SEALDROP_SERVER wins). */
	server?: string;
	/** API tokens by server origin, from `sealdrop login` (SEALDROP_TOKEN wins). */
	tokens?: Record<string, string>;
}

/**
 * A file request's key pair on this machine: made by `request create` (with the request's id,
 * link and owner token) or brought by `key import` (the key only, until a link names its request).
 */
export interface RequestEntry {
	/** R, base64url: what the server serves for the request, and how an imported key is found. */
	publicKey: string;
	/** r as PKCS#8, base64url. Secret: the file is 0600 in a 0700 folder, as the history. */
	privateKey: string;
	id?: string;
	server?: string;
	/** The request link (holds rs): what submitters get. */
	link?: string;
	ownerToken?: string;
	title?: string;
	expiresAt?: number;
	createdAt: number;
}

/** An upload that may be resumed by running the same command again. */
export interface UploadState {
	server: string;
	/** Absolute paths of the sources, in the order sent; with the options, the command's identity. */
	sources: string[];
	options: { expiresIn: number; maxDownloads: number; hasPassword: boolean };
	names: string[];
	pending: PendingUpload;
}

/** A download in progress: the claim's ticket, reused while it is valid, and the files already saved. */
export interface DownloadState {
	/** None after a kept ticket ran out: the next run claims anew. */
	ticket?: string;
	/** Indexes of the files already saved whole. */
	done: number[];
	/** The server's answers (public info, sealed metadata) by path, replayed when resuming. */
	answers: Record<string, string>;
}

export class Store {
	constructor(readonly dir: string) {}

	private async ensure(sub = ''): Promise<string> {
		const path = join(this.dir, sub);
		await mkdir(path, { recursive: true, mode: 0o700 });
		await chmod(this.dir, 0o700);
		return path;
	}

	private async readJson<T>(path: string, fallback: T): Promise<T> {
		try {
			return JSON.parse(await readFile(path, 'utf8')) as T;
		} catch (err) {
			if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
			throw err;
		}
	}

	/** Written whole to a temporary file, then renamed: a crash never leaves half a file. */
	private async writeJson(sub: string, name: string, value: unknown): Promise<void> {
		const dir = await this.ensure(sub);
		const tmp = join(dir, `.${name}.${process.pid}.tmp`);
		await writeFile(tmp, JSON.stringify(value, null, '\t') + '\n', { mode: 0o600 });
		await rename(tmp, join(dir, name));
	}

	settings = () => this.readJson<Settings>(join(this.dir, 'config.json'), {});
	saveSettings = (s: Settings) => this.writeJson('', 'config.json', s);

	history = () => this.readJson<HistoryEntry[]>(join(this.dir, 'history.json'), []);
	async addHistory(entry: HistoryEntry): Promise<void> {
		const list = (await this.history()).filter((e) => e.id !== entry.id);
		await this.writeJson('', 'history.json', [...list, entry]);
	}
	async updateHistory(id: string, change: Partial<HistoryEntry> | null): Promise<void> {
		const list = await this.history();
		const next = change === null ? list.filter((e) => e.id !== id) : list.map((e) => (e.id === id ? { ...e, ...change } : e));
		await this.writeJson('', 'history.json', next);
	}

	requests = () => this.readJson<RequestEntry[]>(join(this.dir, 'requests.json'), []);
	/** Adds or updates the entry with the same public key. */
	async saveRequest(entry: RequestEntry): Promise<void> {
		const list = await this.requests();
		const at = list.findIndex((e) => e.publicKey === entry.publicKey);
		if (at === -1) list.push(entry);
		else list[at] = { ...list[at], ...entry };
		await this.writeJson('', 'requests.json', list);
	}

	async uploads(): Promise<UploadState[]> {
		const dir = join(this.dir, 'state', 'uploads');
		let names: string[];
		try {
			names = await readdir(dir);
		} catch {
			return [];
		}
		const states = await Promise.all(
			names.filter((n) => n.endsWith('.json')).map((n) => this.readJson<UploadState | null>(join(dir, n), null))
		);
		return states.filter((s): s is UploadState => s !== null);
	}

	/** The engine's PendingUploadStore, kept as files, with what identifies the command added. */
	pendingStore(context: Omit<UploadState, 'pending'>): PendingUploadStore {
		const path = (id: string) => join(this.dir, 'state', 'uploads', `${id}.json`);
		return {
			save: (pending) => this.writeJson(join('state', 'uploads'), `${pending.id}.json`, { ...context, pending }),
			remove: (id) => rm(path(id), { force: true }),
			list: async () => (await this.uploads()).map((s) => s.pending),
			get: async (id) => (await this.readJson<UploadState | null>(path(id), null))?.pending
		};
	}

	download = (id: string) => this.readJson<DownloadState | null>(join(this.dir, 'state', 'downloads', `${id}.json`), null);
	saveDownload = (id: string, state: DownloadState) => this.writeJson(join('state', 'downloads'), `${id}.json`, state);
	removeDownload = (id: string) => rm(join(this.dir, 'state', 'downloads', `${id}.json`), { force: true });

	/** A private scratch folder (standard input is spooled there before it is sent). */
	spoolDir = () => this.ensure('spool');
}
