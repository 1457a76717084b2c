import { describe, expect, it } from 'vitest';
import { fileErrorToWire, fromWire, toWire } from '../../../src/lib/transfer/wire-errors';
import { describeError } from '../../../src/lib/messages';
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
