/** Sizes fixed by FORMAT.md (the same in v1 and v2). */
export const TAG_BYTES = 16;
export const NONCE_BYTES = 12;
export const DEFAULT_RECORD_SIZE = 65536;
export const MIN_RECORD_SIZE = 1024;
export const MAX_RECORD_SIZE = 16777216;
export const SECRET_BYTES = 32;
export const SALT_BYTES = 32;
export const KEY_BYTES = 32;
export const PASSWORD_KEY_BYTES = 32;
export const HEADER_BYTES = 83;
/** Bytes 0–50: everything in the header but the commitment; bound into every key. */
export const HEADER_PREFIX_BYTES = 51;
/** The version writers write (FORMAT.md §2); readers accept every SUPPORTED_VERSIONS. */
export const FORMAT_VERSION = 2;
export const SUPPORTED_VERSIONS = [1, 2] as const;
/** The server-held key share W of a v2 password share (FORMAT.md §3). */
export const KEY_SHARE_BYTES = 32;
/** Argon2id parameters this client writes (FORMAT.md §3). */
export const DEFAULT_ARGON2 = { memoryKiB: 65536, passes: 3, parallelism: 1 } as const;
/**
 * The most Argon2id work any reader accepts (FORMAT.md §2), so a hostile header cannot make a
 * recipient allocate gigabytes or compute for hours: 4× the memory and 4/3× the passes written by
 * DEFAULT_ARGON2, and at most about 5× its total work (memory × passes).
 */
export const ARGON2_LIMITS = { maxMemoryKiB: 262144, maxPasses: 8, maxParallelism: 8, maxWorkKiB: 1048576 } as const;
/**
 * A note's longest length, in UTF-16 code units (JavaScript string length). Here, not in
 * metadata.ts, so that the send page's form can import it without the metadata code.
 */
export const MAX_NOTE_LENGTH = 65536;
