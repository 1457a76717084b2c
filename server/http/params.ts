import { SHARE_ID_PATTERN } from '../../src/lib/api/types';
import { invalidContentLength, invalidPartNumber, invalidShareId } from './errors';

/** Checked before any storage is touched. */
export function parseShareId(value: string | undefined): string {
	if (value === undefined || !SHARE_ID_PATTERN.test(value)) throw invalidShareId();
	return value;
}

/** A canonical decimal part number; its upper bound is checked against the share later. */
export function parsePartNumber(value: string | undefined): number {
	if (value === undefined || !/^(0|[1-9]\d{0,8})$/.test(value)) throw invalidPartNumber();
	return Number(value);
}

/** A Content-Length header, if any. */
export function parseContentLength(value: string | undefined): number | undefined {
	if (value === undefined) return undefined;
	if (!/^\d{1,15}$/.test(value.trim())) throw invalidContentLength();
	return Number(value.trim());
}
