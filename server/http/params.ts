import { SHARE_ID_PATTERN } from '../../src/lib/api/types';
import { AppError } from '../errors';

/** Checked before any storage is touched. */
export function parseShareId(value: string | undefined): string {
	if (value === undefined || !SHARE_ID_PATTERN.test(value)) throw new AppError('INVALID_ID', 'Not a share id.');
	return value;
}

/** A canonical decimal part number; its upper bound is checked against the share later. */
export function parsePartNumber(value: string | undefined): number {
	if (value === undefined || !/^(0|[1-9]\d{0,8})$/.test(value)) {
		throw new AppError('INVALID_PART', 'The part number must be a non-negative integer.');
	}
	return Number(value);
}

/** A Content-Length header, if any. */
export function parseContentLength(value: string | undefined): number | undefined {
	if (value === undefined) return undefined;
	if (!/^\d{1,15}$/.test(value.trim())) throw new AppError('INVALID_REQUEST', 'Content-Length: not a byte count.');
	return Number(value.trim());
}
