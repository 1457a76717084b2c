import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A self-signed certificate for 127.0.0.1 (EC P-256, valid one day), made with the openssl CLI:
 * `<dir>/<name>.crt` and `<dir>/<name>.key`, with `name` as its common name.
 */
export async function makeCertificate(dir: string, name = 'tls'): Promise<{ cert: string; key: string }> {
	const cert = join(dir, `${name}.crt`);
	const key = join(dir, `${name}.key`);
	await promisify(execFile)('openssl', [
		'req',
		'-x509',
		'-newkey',
		'ec',
		'-pkeyopt',
		'ec_paramgen_curve:prime256v1',
		'-nodes',
		'-keyout',
		key,
		'-out',
		cert,
		'-days',
		'1',
		'-subj',
		`/CN=${name}`,
		'-addext',
		'subjectAltName=IP:127.0.0.1'
	]);
	return { cert, key };
}
