import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** s3rver's built-in account. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface TestS3 {
	endpoint: string;
	bucket: string;
	accessKeyId: string;
	secretAccessKey: string;
	/** Where s3rver keeps buckets and unfinished uploads. */
	directory: string;
	/** The SEALDROP_* variables that point a server at this bucket. */
	env: Record<string, string>;
	/**
	 * With the `listParts` proxy: the next `count` requests of `method` to an object are answered
	 * `status` by the proxy (an S3 XML error) without reaching s3rver, as a failing store would.
	 */
	failNext(method: string, count: number, status?: number): void;
	close(): Promise<void>;
}

/**
 * A real S3-protocol server (s3rver) on 127.0.0.1, a random port and a temp directory, with one
 * empty bucket. It speaks enough S3 for Sealdrop (multipart, ranged GET, delete) but has no
 * AbortMultipartUpload (405) and no ListMultipartUploads (501).
 */
export async function startS3rver(bucket = 'sealdrop-test', options: S3rverExtras = {}): Promise<TestS3> {
	const directory = await mkdtemp(join(tmpdir(), 'sealdrop-s3rver-'));
	const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
	const { port } = await server.run();
	const faults: Fault[] = [];
	const proxy = options.listParts ? await listPartsProxy(port, directory, bucket, faults) : undefined;
	const endpoint = `http://127.0.0.1:${proxy ? (proxy.address() as AddressInfo).port : port}`;
	return {
		endpoint,
		bucket,
		...CREDENTIALS,
		directory,
		env: {
			SEALDROP_BLOB_STORE: 's3',
			SEALDROP_S3_ENDPOINT: endpoint,
			SEALDROP_S3_REGION: 'us-east-1',
			SEALDROP_S3_BUCKET: bucket,
			SEALDROP_S3_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
			SEALDROP_S3_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
			SEALDROP_S3_FORCE_PATH_STYLE: 'true'
		},
		failNext(method, count, status = 503) {
			if (!proxy) throw new Error('failNext needs the listParts proxy');
			for (let i = 0; i < count; i++) faults.push({ method, status });
		},
		async close() {
			proxy?.closeAllConnections();
			await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
			await server.close().catch(() => {});
			await rm(directory, { recursive: true, force: true });
		}
	};
}

export interface S3rverExtras {
	/**
	 * s3rver has no ListParts (it answers 405), which direct transfers resume and complete with:
	 * put a proxy in front that answers ListParts from s3rver's own upload directory (sizes, and
	 * ETags as s3rver makes them: the MD5 of the part) and passes every other request through.
	 */
	listParts?: boolean;
}

interface Fault {
	method: string;
	status: number;
}

async function listPartsProxy(
	s3rverPort: number,
	directory: string,
	bucket: string,
	faults: Fault[]
): Promise<ReturnType<typeof createServer>> {
	const answerListParts = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
		const uploadId = url.searchParams.get('uploadId') ?? '';
		const key = decodeURIComponent(url.pathname.slice(`/${bucket}/`.length));
		// s3rver keeps part n of an upload at <bucket>/._S3rver_uploads/<uploadId>/<n>.
		const dir = join(directory, bucket, '._S3rver_uploads', uploadId);
		let names: string[];
		try {
			names = /^[0-9a-f]+$/.test(uploadId) ? await readdir(dir) : [];
			if (names.length === 0) await stat(dir);
		} catch {
			res.writeHead(404, { 'Content-Type': 'application/xml' });
			res.end(
				'<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>'
			);
			return;
		}
		const parts = [];
		for (const name of names.filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(a) - Number(b))) {
			const file = join(dir, name);
			const md5 = createHash('md5');
			for await (const chunk of createReadStream(file)) md5.update(chunk as Buffer);
			const info = await stat(file);
			parts.push(
				`<Part><PartNumber>${name}</PartNumber><LastModified>${info.mtime.toISOString()}</LastModified><ETag>"${md5.digest('hex')}"</ETag><Size>${info.size}</Size></Part>`
			);
		}
		res.writeHead(200, { 'Content-Type': 'application/xml' });
		res.end(
			`<?xml version="1.0" encoding="UTF-8"?><ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>${uploadId}</UploadId><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`
		);
		req.resume();
	};
	const proxy = createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://s3');
		const fault = faults.findIndex((f) => f.method === req.method && url.pathname.startsWith(`/${bucket}/`));
		if (fault >= 0) {
			const [{ status }] = faults.splice(fault, 1) as [Fault];
			req.resume();
			res.writeHead(status, { 'Content-Type': 'application/xml', Connection: 'close' });
			res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Injected by the test.</Message></Error>');
			return;
		}
		if (req.method === 'GET' && url.searchParams.has('uploadId') && !url.searchParams.has('partNumber')) {
			answerListParts(req, res, url).catch(() => res.destroy());
			return;
		}
		const upstream = request({ host: '127.0.0.1', port: s3rverPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
			res.writeHead(answer.statusCode ?? 502, answer.headers);
			answer.pipe(res);
		});
		upstream.on('error', () => res.destroy());
		req.pipe(upstream);
	});
	await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
	return proxy;
}
