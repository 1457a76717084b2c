/**
 * The errors of file requests: finding one, its owner token, and why it takes no submission.
 * One factory each: the only place each sentence is written (docs/API.md lists the codes).
 */
import { AppError } from '../errors';

export const requestNotFound = (): AppError => new AppError('NOT_FOUND', 'No file request has this id.');

export const wrongRequestOwnerToken = (): AppError => new AppError('FORBIDDEN', 'Wrong owner token for this file request.');

export const requestExpired = (): AppError => new AppError('EXPIRED', 'This file request has expired.');

export const requestClosed = (): AppError => new AppError('REQUEST_CLOSED', 'The owner closed this file request; it takes no more files.');

export const requestFull = (limit: number): AppError =>
	new AppError('REQUEST_FULL', `This file request has received all of its ${limit} submissions.`, { limit });

export const submissionTooLarge = (limit: number): AppError =>
	new AppError('TOO_LARGE', `size: a submission to this file request has at most ${limit} bytes.`, { field: 'size', limit });

export const submissionNotFound = (): AppError => new AppError('NOT_FOUND', 'This file request has no live submission with this id.');

/** A submission's expiry and downloads are its request's: its submitter's owner token cannot change them. */
export const submissionNotChangeable = (): AppError =>
	new AppError('FORBIDDEN', "A submission's expiry and downloads follow its file request; they cannot be changed.");

/** Restricted mode: the requester's account has no room for this submission (its quota counts its requests' submissions). */
export const requesterQuotaExceeded = (quota: 'bytes' | 'shares', limit: number, used: number): AppError =>
	new AppError('QUOTA_EXCEEDED', "The requester's account has no room for this submission.", { quota, limit, used });
