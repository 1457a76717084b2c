import { networkCode, StoreStartError } from '../errors';

/** The HTTP status of an AWS SDK error, if the store answered at all. */
export function httpStatus(error: unknown): number | undefined {
	const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
	return typeof status === 'number' ? status : undefined;
}

/** The S3 error code (NoSuchUpload, NoSuchKey, …) or the SDK's error class name. */
export function errorName(error: unknown): string | undefined {
	const name = (error as { name?: unknown } | null)?.name;
	return typeof name === 'string' ? name : undefined;
}

/**
 * Why the bucket check at start-up failed, as one line for the operator. `where` names the bucket
 * and endpoint (never a credential); the hint names the variable to check.
 */
export function s3StartError(error: unknown, where: string): StoreStartError {
	const status = httpStatus(error);
	const network = networkCode(error);
	const fail = (code: ConstructorParameters<typeof StoreStartError>[0], message: string) =>
		new StoreStartError(code, `S3 ${where}${message}`, { cause: error });
	if (errorName(error) === 'CredentialsProviderError') {
		return fail(
			'S3_AUTH_FAILED',
			': no credentials found; set SEALDROP_S3_ACCESS_KEY_ID and SEALDROP_S3_SECRET_ACCESS_KEY (or the AWS_* variables, or give the host a role).'
		);
	}
	if (status === undefined && network !== undefined) {
		return fail('S3_UNREACHABLE', ` is unreachable (${network}); check SEALDROP_S3_ENDPOINT.`);
	}
	if (status === 404) return fail('S3_BUCKET_NOT_FOUND', ' does not exist; create it or check SEALDROP_S3_BUCKET.');
	if (status === 401 || status === 403) {
		return fail(
			'S3_AUTH_FAILED',
			` refused access (${status}); check SEALDROP_S3_ACCESS_KEY_ID and SEALDROP_S3_SECRET_ACCESS_KEY and the bucket policy.`
		);
	}
	if (status === 301 || status === 400) {
		return fail('S3_FAILED', ` answered ${status}; check SEALDROP_S3_REGION and SEALDROP_S3_FORCE_PATH_STYLE.`);
	}
	return fail('S3_FAILED', ` failed: ${status ?? errorName(error) ?? 'unknown error'}.`);
}
