import { describe, expect, it } from 'vitest';
import { receiveFailedHeading } from '../../src/lib/page-text';

// The recipient page's heading names why a share cannot be opened (the alert below says more).
describe('receiveFailedHeading', () => {
	it('names each way a share can be gone', () => {
		expect(
			['NOT_FOUND', 'INVALID_ID', 'EXPIRED', 'DOWNLOAD_LIMIT_REACHED', 'DELETED', 'WRONG_KEY', 'NETWORK'].map(receiveFailedHeading)
		).toEqual([
			'Share not found',
			'Share not found',
			'This share has expired',
			'This share is used up',
			'This share was deleted',
			'This link is damaged',
			'This share cannot be opened'
		]);
	});
});
