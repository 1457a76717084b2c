import { describe, expect, expectTypeOf, it } from 'vitest';
import { ApiError, type ClientErrorCode as RequestErrorCode } from '../../src/lib/api/client';
import { API_ERROR_CODES, type ApiErrorCode } from '../../src/lib/api/types';
import { failure } from '../../src/lib/controllers/failure';
import { CryptoError, type CryptoErrorCode } from '../../src/lib/crypto';
import { describeError, describeFailure, problem, type ClientErrorCode, type MessageCode } from '../../src/lib/messages';
import { receiveTitle, stoppedText } from '../../src/lib/page-text';
import { uploadTitle } from '../../src/lib/upload-text';
import type { PdfPreviewError } from '../../src/lib/preview/pdf';
import type { PasswordError } from '../../src/lib/transfer/download';
import type { SaveUnsupportedError } from '../../src/lib/save/save-target';
import type { FileReadError } from '../../src/lib/transfer/wire-errors';
import { FolderError } from '../../src/lib/folders';

describe('the message table', () => {
	it.each(API_ERROR_CODES)('has a sentence of its own for the server code %s', (code) => {
		const raw = 'the server’s own text';
		const described = describeError(new ApiError(code, raw, 400));
		expect(described.code).toBe(code);
		expect(described.message).not.toBe(raw);
		expect(problem(code).message).not.toBe(code);
		// One sentence of what happened, then (mostly) what to do: a capital and a full stop.
		expect(described.message).toMatch(/^[A-Z].*[.)]$/);
	});

	it('words a crypto error with its own sentence, not its technical text', () => {
		const described = describeError(new CryptoError('TAMPERED', 'record 7'));
		expect(described.code).toBe('TAMPERED');
		expect(described.message).not.toContain('record 7');
	});

	it('falls back to the server’s message for a code from a newer server', () => {
		const newer = new ApiError('SOMETHING_NEW' as ApiErrorCode, 'Something new went wrong.', 400);
		expect(describeError(newer)).toEqual({ code: 'SOMETHING_NEW', message: 'Something new went wrong.' });
		expect(problem('SOMETHING_NEW')).toEqual({ code: 'SOMETHING_NEW', message: 'SOMETHING_NEW' });
	});

	it('does not mistake an Object property for a sentence', () => {
		expect(problem('constructor').message).toBe('constructor');
		expect(describeError(Object.assign(new Error('own text'), { code: 'toString' })).message).toBe('own text');
	});

	it('words a bare failure and an abort', () => {
		expect(describeFailure(failure('NOTHING_TO_SEND')).message).toBe('Add files or write a message first.');
		expect(describeError(new DOMException('stop', 'AbortError'))).toEqual({ code: 'ABORTED', message: 'Cancelled.' });
	});

	it('names the folder or file concerned when the error knows it', () => {
		expect(describeError(new FolderError('FOLDER_EMPTY', 'photos/raw')).message).toBe(
			'The folder “photos/raw” has no files in it, so nothing was added.'
		);
		expect(describeError(new FolderError('ENTRY_UNREADABLE', 'docs/locked.pdf')).message).toMatch(
			/^“docs\/locked\.pdf” could not be read .*\.$/
		);
		expect(describeError(new FolderError('FOLDER_EMPTY', '')).message).toBe(
			'The folder you chose has no files in it, so nothing was added.'
		);
	});

	it('covers, at compile time, every code the browser can raise (tsc checks this file)', () => {
		expectTypeOf<ApiErrorCode>().toExtend<MessageCode>();
		expectTypeOf<CryptoErrorCode>().toExtend<MessageCode>();
		expectTypeOf<RequestErrorCode>().toExtend<ClientErrorCode>();
		expectTypeOf<PasswordError['code']>().toExtend<ClientErrorCode>();
		expectTypeOf<PdfPreviewError['code']>().toExtend<ClientErrorCode>();
		expectTypeOf<FileReadError['code']>().toExtend<ClientErrorCode>();
		expectTypeOf<SaveUnsupportedError['code']>().toExtend<ClientErrorCode>();
		expectTypeOf<FolderError['code']>().toExtend<ClientErrorCode>();
		// A bare failure must be a code with a sentence.
		// @ts-expect-error 'NO_SUCH_CODE' has no sentence in messages.ts
		failure('NO_SUCH_CODE');
	});
});

describe('the send page title', () => {
	const progress = { done: 250, total: 1000, bytesPerSecond: 0, secondsLeft: null };
	it('shows the progress of an upload, so it can be followed from another tab', () => {
		expect(uploadTitle('pick', null)).toBe('Sealdrop — send files privately');
		expect(uploadTitle('uploading', progress)).toBe('25% uploaded · Sealdrop');
		expect(uploadTitle('reconnecting', progress)).toBe('Reconnecting… 25% · Sealdrop');
		expect(uploadTitle('paused', progress)).toBe('Paused at 25% · Sealdrop');
		expect(uploadTitle('done', { ...progress, done: 1000 })).toBe('Upload finished · Sealdrop');
	});
});

describe('the share page title and a stopped download', () => {
	const progress = { done: 400, total: 1000, bytesPerSecond: 0, secondsLeft: null };
	const state = { phase: 'downloading' as const, waiting: false, progress, stopped: null };
	it('shows the progress of a download, and that it waits for the network', () => {
		expect(receiveTitle({ ...state, phase: 'ready', progress: null })).toBe('Sealdrop — receive files');
		expect(receiveTitle(state)).toBe('40% downloaded · Sealdrop');
		expect(receiveTitle({ ...state, waiting: true })).toBe('Waiting for the network… 40% · Sealdrop');
		expect(receiveTitle({ ...state, phase: 'ready', stopped: { done: 400, total: 1000, restarts: null } })).toBe(
			'Download stopped at 40% · Sealdrop'
		);
		expect(receiveTitle({ ...state, phase: 'done' })).toBe('Download finished · Sealdrop');
	});
	it('says whether continuing keeps what was saved or starts a file again', () => {
		expect(stoppedText({ done: 400, total: 1000, restarts: null })).toMatch(
			/^Download stopped at 40%\. Continue download picks up from there/
		);
		expect(stoppedText({ done: 0, total: 1000, restarts: 'big.bin' })).toMatch(/saves big\.bin again from its start/);
	});
});
