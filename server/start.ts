import type { Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { checkAccountsAtStart } from './accounts/startup';
import { createApp } from './app';
import { systemClock, type Clock } from './clock';
import type { Config } from './config/schema';
import { answerClientErrors } from './http/client-error';
import { connectionLimits, guardConnections, newConnectionCounts, type ConnectionCounts } from './http/connections';
import { httpServerOptions } from './http/timeouts';
import { readTlsFiles, type TlsFiles } from './http/tls';
import { createLogger, type Logger } from './logger';
import type { StoreDeps } from './shares/deps';
import type { BlobStore } from './stores/blob/types';
import type { MetaStore } from './stores/meta/types';
import { UploadSignals, type StreamTiming } from './shares/stream';
import { openStores } from './stores/open';
import { sweep, type SweepResult } from './sweeper';

export interface StartOverrides {
	clock?: Clock;
	logger?: Logger;
	/** How long streamed reads wait for a part (tests shorten it). */
	streamTiming?: StreamTiming;
}

export interface RunningSealdrop {
	/** Where this process can be reached, e.g. http://127.0.0.1:41234 (not PUBLIC_URL). */
	url: string;
	/** The port actually bound (config.port may be 0). */
	port: number;
	/** The Node server itself, for its events ('request', 'connection'): tests wait on them. */
	httpServer: Server;
	config: Config;
	app: Hono;
	meta: MetaStore;
	blobs: BlobStore;
	/** Re-reads SEALDROP_TLS_CERT/KEY for new connections (SIGHUP); nothing without TLS. */
	reloadTls(): Promise<void>;
	/** Runs one sweeper pass now (never overlapping the periodic one). */
	sweep(): Promise<SweepResult>;
	/** Stops the sweeper, ends reads waiting for a part, stops accepting, waits for requests in flight, closes the database. */
	close(): Promise<void>;
}

/** In-flight requests get this long to finish on close before their connections are cut. */
const CLOSE_GRACE_MS = 10_000;

/**
 * Opens the stores (running migrations), listens on config.host:config.port and starts the
 * sweeper. Used by main.ts and, in-process, by the e2e tests and the bench.
 */
export async function startSealdrop(config: Config, overrides: StartOverrides = {}): Promise<RunningSealdrop> {
	const logger = overrides.logger ?? createLogger(config.logLevel);
	const clock = overrides.clock ?? systemClock;
	// Before the stores: a missing certificate should not cost a database connection.
	const tls = config.tls && (await readTlsFiles(config.tls));
	// Fails with a StoreStartError (one line for the operator) if a backend is unusable.
	const stores = await openStores(config, logger);
	const { meta, blobs, backends } = stores;
	const uploadSignals = new UploadSignals(overrides.streamTiming);
	let app: Hono;
	let server: Server;
	try {
		// Refuses restricted mode while an account's password hash is weak (accounts/startup.ts).
		if (config.uploadAccess === 'restricted') await checkAccountsAtStart(meta.accounts, logger);
		const connections = newConnectionCounts();
		app = createApp({ config, clock, meta, blobs, logger, backends, connections, uploadSignals });
		server = await listen(app, config, tls, logger, connections);
		answerClientErrors(server, { tls: Boolean(tls), logger });
	} catch (error) {
		await stores.close();
		throw error;
	}
	const deps: StoreDeps = { config, clock, meta, blobs, logger };
	const port = (server.address() as AddressInfo).port;

	// Sweeps are chained with setTimeout, so a slow one never overlaps the next.
	let current: Promise<SweepResult> | undefined;
	let timer: NodeJS.Timeout | undefined;
	let closing: Promise<void> | undefined;
	const sweepOnce = (): Promise<SweepResult> => {
		current ??= sweep(deps).finally(() => {
			current = undefined;
		});
		return current;
	};
	const schedule = (): void => {
		timer = setTimeout(() => {
			sweepOnce()
				.catch((error: unknown) => logger.error({ err: error }, 'sweep failed'))
				.finally(() => {
					if (!closing) schedule();
				});
		}, config.sweepInterval * 1000);
		timer.unref();
	};
	schedule();

	const close = (): Promise<void> => {
		closing ??= (async () => {
			clearTimeout(timer);
			// Reads waiting for a part would otherwise hold the close for up to their whole wait.
			uploadSignals.stop();
			await closeServer(server);
			await current?.catch(() => {});
			await stores.close();
			logger.info('stopped');
		})();
		return closing;
	};

	const reloadTls = async (): Promise<void> => {
		if (!config.tls) return;
		const files = await readTlsFiles(config.tls);
		// Connections already open keep their session; new ones get the new certificate.
		(server as unknown as HttpsServer).setSecureContext(files);
		logger.info('TLS certificate reloaded');
	};

	logger.info({ host: config.host, port, dataDir: config.dataDir, stores: backends, tls: Boolean(tls) }, 'listening');
	const scheme = tls ? 'https' : 'http';
	return {
		url: `${scheme}://${connectHost(config.host)}:${port}`,
		port,
		httpServer: server,
		config,
		app,
		meta,
		blobs,
		reloadTls,
		sweep: sweepOnce,
		close
	};
}

function listen(app: Hono, config: Config, tls: TlsFiles | undefined, logger: Logger, connections: ConnectionCounts): Promise<Server> {
	return new Promise((resolve, reject) => {
		const timeouts = httpServerOptions(config.timeouts);
		// A TLS handshake gets as long as request headers (Node's default is 120 s).
		const handshakeTimeout = config.timeouts.headers * 1000;
		const options = tls
			? { createServer: createHttpsServer, serverOptions: { ...timeouts, handshakeTimeout, cert: tls.cert, key: tls.key } }
			: { serverOptions: timeouts };
		const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port, ...options }, () => {
			server.off('error', reject);
			resolve(server as Server);
		});
		guardConnections(server as Server, connectionLimits(config), logger, connections);
		server.once('error', reject);
	});
}

function closeServer(server: Server): Promise<void> {
	return new Promise((resolve) => {
		const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
		force.unref();
		server.close(() => {
			clearTimeout(force);
			resolve();
		});
		// Keep-alive connections with no request would otherwise hold close() open.
		server.closeIdleConnections();
	});
}

/** An address a local client can connect to for this listening host. */
function connectHost(host: string): string {
	if (host === '0.0.0.0') return '127.0.0.1';
	if (host === '::') return '[::1]';
	return host.includes(':') ? `[${host}]` : host;
}

/**
 * The start-up line: the address actually bound (a wildcard says so, with the address that
 * reaches it from this machine) and, when set, the public URL links are made for.
 */
export function listeningBanner(config: Pick<Config, 'host' | 'publicUrl'>, running: Pick<RunningSealdrop, 'url' | 'port'>): string {
	const wildcard = config.host === '0.0.0.0' || config.host === '::';
	const bound = wildcard
		? `all ${config.host === '::' ? 'IPv6 (and IPv4)' : 'IPv4'} addresses, port ${running.port} (${running.url} from here)`
		: running.url;
	return config.publicUrl ? `Sealdrop listening on ${bound}; links use ${config.publicUrl}` : `Sealdrop listening on ${bound}`;
}
