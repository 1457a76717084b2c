/** Sealed metadata (FORMAT.md §5): the file list and note, which only the recipient sees. */
import { gcmOpen, gcmSeal } from './aead';
import { asBytes, concatBytes, randomBytes, utf8Encoder, type Bytes } from './bytes';
import { MAX_NOTE_LENGTH, NONCE_BYTES, TAG_BYTES } from './constants';
import { CryptoError } from './errors';
import { metadataNameProblem } from './names';

export interface FileEntry {
	/** Relative path with "/" separators; sanitise before saving (sanitizeFileName). */
	name: string;
	size: number;
	type: string;
	/** Where the file starts in the concatenated plaintext. */
	offset: number;
}

export interface Metadata {
	v: 1;
	files: FileEntry[];
	/** The note of a share made before notes moved into the content; read as it is, for free. */
	note?: string;
	/**
	 * The note's UTF-8 length: the note is the last `noteBytes` bytes of the content, after the
	 * files, so reading it spends a download like reading a file (FORMAT.md §5).
	 */
	noteBytes?: number;
	/** Sender's clock, ms since the Unix epoch. */
	created: number;
}

/** Padding granularity: the server learns the metadata length only to within 256 bytes. */
export const METADATA_PAD = 256;
export { MAX_NOTE_LENGTH };
/** The most UTF-8 bytes a note of MAX_NOTE_LENGTH code units can take (3 per code unit). */
export const MAX_NOTE_BYTES = 3 * MAX_NOTE_LENGTH;
const SPACE = 0x20;

function bad(detail: string): CryptoError {
	return new CryptoError('BAD_METADATA', detail);
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkSize(value: unknown, what: string): number {
	if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw bad(`${what} is not a size`);
	return value;
}

function checkNote(note: unknown): string | undefined {
	if (note === undefined) return undefined;
	if (typeof note !== 'string') throw bad('note is not a string');
	if (note.length > MAX_NOTE_LENGTH) throw bad(`note is longer than ${MAX_NOTE_LENGTH} characters`);
	return note;
}

function checkEntry(raw: unknown, index: number, offset: number): FileEntry {
	if (!isRecord(raw)) throw bad(`file ${index} is not an object`);
	const problem = metadataNameProblem(raw.name);
	if (problem) throw bad(`file ${index}: ${problem}`);
	const size = checkSize(raw.size, `file ${index} size`);
	if (typeof raw.type !== 'string') throw bad(`file ${index} type is not a string`);
	if (raw.offset !== offset) throw bad(`file ${index} offset is not ${offset}`);
	if (!Number.isSafeInteger(offset + size)) throw bad('files are too large');
	return { name: raw.name as string, size, type: raw.type, offset };
}

/**
 * Validates parsed JSON (or a caller's object) and returns a clean copy with only the known keys,
 * in the order this client writes them; unknown keys are dropped.
 */
export function validateMetadata(raw: unknown, plainSize?: number): Metadata {
	if (!isRecord(raw)) throw bad('not a JSON object');
	if (raw.v !== 1) throw bad(`v is ${JSON.stringify(raw.v)}, expected 1`);
	if (!Array.isArray(raw.files)) throw bad('files is not an array');
	const files: FileEntry[] = [];
	let offset = 0;
	for (const [index, entry] of (raw.files as unknown[]).entries()) {
		const file = checkEntry(entry, index, offset);
		files.push(file);
		offset += file.size;
	}
	const note = checkNote(raw.note);
	const noteBytes = raw.noteBytes === undefined ? undefined : checkSize(raw.noteBytes, 'noteBytes');
	if (noteBytes !== undefined && (noteBytes < 1 || noteBytes > MAX_NOTE_BYTES)) throw bad(`noteBytes is not 1 … ${MAX_NOTE_BYTES}`);
	if (noteBytes !== undefined && note !== undefined) throw bad('both note and noteBytes');
	// A share must carry something: files, a note after them (noteBytes) or an older share's note.
	if (files.length === 0 && noteBytes === undefined && !note) throw bad('no files and no note');
	if (plainSize !== undefined && offset + (noteBytes ?? 0) !== plainSize) {
		throw bad(`file sizes${noteBytes ? ' and the note' : ''} add up to ${offset + (noteBytes ?? 0)}, the content has ${plainSize} bytes`);
	}
	const created = raw.created;
	if (typeof created !== 'number' || !Number.isSafeInteger(created) || created < 0) throw bad('created is not a time');
	if (note !== undefined) return { v: 1, files, note, created };
	if (noteBytes !== undefined) return { v: 1, files, noteBytes, created };
	return { v: 1, files, created };
}

/**
 * Computes offsets and validates names. `noteBytes` is what this client writes for a note (its
 * text goes after the files); `note` (the text itself, readable for free) is for test vectors of
 * older shares only. An empty note is left out; no files and no note is BAD_METADATA (FORMAT.md §5).
 */
export function buildMetadata(
	files: { name: string; size: number; type: string }[],
	options: { note?: string; noteBytes?: number; created?: number } = {}
): Metadata {
	let offset = 0;
	const entries = files.map((file) => {
		const entry = { name: file.name, size: file.size, type: file.type, offset };
		offset += file.size;
		return entry;
	});
	const note = options.note === '' ? undefined : options.note;
	const noteBytes = options.noteBytes === 0 ? undefined : options.noteBytes;
	return validateMetadata({ v: 1, files: entries, note, noteBytes, created: options.created ?? Date.now() });
}

/** The note's text from its bytes at the end of the content; BAD_METADATA if they are not one. */
export function decodeNote(bytes: Uint8Array): string {
	let note: string;
	try {
		note = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
	} catch {
		throw bad('the note is not UTF-8');
	}
	return checkNote(note)!;
}

/** nonce ‖ AES-GCM(json padded with spaces to a multiple of 256 bytes). `nonce` is for test vectors. */
export async function sealMetadata(key: CryptoKey, meta: Metadata, nonce?: Uint8Array): Promise<Bytes> {
	const iv = nonce ? asBytes(nonce) : randomBytes(NONCE_BYTES);
	if (iv.length !== NONCE_BYTES) throw new TypeError('metadata nonce must be 12 bytes');
	const json = utf8Encoder.encode(JSON.stringify(validateMetadata(meta)));
	const padded = new Uint8Array(Math.ceil(json.length / METADATA_PAD) * METADATA_PAD).fill(SPACE);
	padded.set(json);
	return concatBytes(iv, await gcmSeal(key, iv, padded));
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** TAMPERED if it fails authentication; BAD_METADATA if it is authentic but not valid §5 metadata. */
export async function openMetadata(key: CryptoKey, sealed: Uint8Array, plainSize: number): Promise<Metadata> {
	if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new CryptoError('TAMPERED', 'metadata is too short');
	const bytes = asBytes(sealed);
	const padded = await gcmOpen(key, bytes.subarray(0, NONCE_BYTES), bytes.subarray(NONCE_BYTES), 'metadata');
	if (padded.length === 0 || padded.length % METADATA_PAD !== 0) throw bad('not padded to a multiple of 256 bytes');
	let parsed: unknown;
	try {
		parsed = JSON.parse(utf8Decoder.decode(padded));
	} catch {
		throw bad('not UTF-8 JSON');
	}
	return validateMetadata(parsed, plainSize);
}
