import { describe, expect, it } from 'vitest';
import { fileErrorToWire, fromWire, toWire } from '../../../src/lib/transfer/wire-errors';
import { describeError, describeFailure } from '../../../src/lib/messages';
import { ApiError } from '../../../src/lib/api/client';
import { SaveError, saveErrorOf } from '../../../src/lib/save/save-errors';
import { failureOf } from '../../../src/lib/controllers/failure';

describe('a file error from a worker', () => {
	// What the browser raises when a disk fills up, the permission is taken back, the file is removed.
	for (const name of ['QuotaExceededError', 'NotAllowedError', 'NotFoundError', 'AbortError']) {
		it(`reaches the page as the ${name} it was, told as when the page wrote the file`, () => {
			const thrown = new DOMException(`The ${name}.`, name);
			const heard = fromWire(structuredClone(fileErrorToWire(thrown)));
			expect(heard).toBeInstanceOf(DOMException);
			expect((heard as DOMException).name).toBe(name);
			expect(heard.message).toBe(thrown.message);
			expect(failureOf(heard).code).toBe(failureOf(thrown).code);
			expect(describeError(heard)).toEqual(describeError(thrown));
		});
	}

	it('leaves other errors as toWire has them', () => {
		expect(fileErrorToWire(new Error('x'))).toEqual(toWire(new Error('x')));
	});
});

describe('a failed write of a chosen file, as the save tells it', () => {
	const cases: [string, string][] = [
		['QuotaExceededError', 'DISK_FULL'],
		['NotAllowedError', 'SAVE_DENIED'],
		['SecurityError', 'SAVE_DENIED'],
		['NotFoundError', 'SAVE_FAILED'],
		['InvalidStateError', 'SAVE_FAILED'],
		['NoModificationAllowedError', 'SAVE_FAILED']
	];
	for (const [name, code] of cases) {
		it(`${name}, from the page or from a worker, is ${code}, with its own sentence`, () => {
			const thrown = new DOMException(`The ${name}.`, name);
			for (const err of [thrown, fromWire(structuredClone(fileErrorToWire(thrown)))]) {
				const told = saveErrorOf(err);
				expect(told).toBeInstanceOf(SaveError);
				expect((told as SaveError).cause).toBe(err);
				expect(failureOf(told).code).toBe(code);
				const problem = describeError(told);
				expect(problem.code).toBe(code);
				expect(problem.message).toBe(describeFailure({ code }).message);
				expect(problem.message).not.toMatch(/^Something went wrong/);
			}
		});
	}

	it('leaves a cancel, a network failure and other errors as they are', () => {
		for (const err of [new DOMException('Stopped.', 'AbortError'), new ApiError('NETWORK', 'Offline.'), new Error('x'), 'text']) {
			expect(saveErrorOf(err)).toBe(err);
		}
	});
});
