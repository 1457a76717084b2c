/**
 * Sealdrop crypto core: format v2 (and v1, still read) of docs/FORMAT.md over WebCrypto. Runs unchanged in the
 * browser, in a Web Worker and in Node 20 (no DOM, no Node-only APIs).
 */
export {
	DEFAULT_ARGON2,
	DEFAULT_RECORD_SIZE,
	FORMAT_VERSION,
	HEADER_BYTES,
	KEY_SHARE_BYTES,
	MAX_RECORD_SIZE,
	MIN_RECORD_SIZE,
	NONCE_BYTES,
	PASSWORD_KEY_BYTES,
	SECRET_BYTES,
	SUPPORTED_VERSIONS,
	TAG_BYTES
} from './constants';
export { CryptoError, isCryptoError, type CryptoErrorCode } from './errors';
export type { Bytes } from './bytes';
export { concatBytes } from './bytes';
export { fromBase64Url, toBase64Url } from './base64url';
export { decodeSecret, encodeSecret, generateSecret, sha256, SECRET_TEXT_LENGTH } from './secret';
export { decodeHeader, encodeHeader, type Argon2Params, type FormatVersion, type Header } from './header';
export {
	checkLink,
	createShareKeys,
	deriveUnlockToken,
	openShareKeys,
	type KeyShare,
	type PasswordShareSecrets,
	type ShareKeys
} from './keys';
export { derivePasswordKey, passwordBytes, type PasswordKdf, type PasswordKdfInput } from './password';
export {
	cipherRangeForPlain,
	layoutForCipherSize,
	layoutForPlainSize,
	recordCipherOffset,
	recordCipherSize,
	recordPlainSize,
	type CipherRange,
	type RecordLayout
} from './layout';
export { openRecord, recordNonce, sealRecord } from './record';
export { blobSource, encryptBlobRecords, type ByteSource } from './encrypt-stream';
export { decryptTransform, RecordDecryptor } from './decrypt-stream';
export {
	buildMetadata,
	decodeNote,
	MAX_NOTE_BYTES,
	MAX_NOTE_LENGTH,
	METADATA_PAD,
	openMetadata,
	sealMetadata,
	validateMetadata,
	type FileEntry,
	type Metadata
} from './metadata';
export { MAX_NAME_BYTES, sanitizeFileName, sanitizePath, saveNames, zipPaths } from './names';
export {
	checkRequestKey,
	createSubmissionSecret,
	decryptKeyFile,
	encryptKeyFile,
	exportRequestKey,
	generateRequestKeyPair,
	importRequestKey,
	importRequestPrivateKey,
	importRequestPublicKey,
	KEY_FILE_FORMAT,
	MAX_REQUEST_MESSAGE_LENGTH,
	MAX_REQUEST_TITLE_LENGTH,
	openRequestInfo,
	openSubmissionSecret,
	parseKeyFile,
	REQUEST_KEY_TAG_BYTES,
	REQUEST_PUBLIC_KEY_BYTES,
	requestKeyTag,
	sealRequestInfo,
	validateRequestInfo,
	type RequestInfo,
	type RequestKeyFile,
	type RequestKeyPair
} from './requests';
