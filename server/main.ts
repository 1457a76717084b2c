import { ConfigError, type Config } from './config/schema';
import { loadConfigFromEnvironment } from './config/load';
import { createLogger } from './logger';
import { listeningBanner, startSealdrop } from './start';
import { StoreStartError } from './stores/errors';

let config: Config;
try {
	// SEALDROP_CONFIG_FILE's settings, with the environment on top.
	config = loadConfigFromEnvironment(process.env);
} catch (error) {
	if (!(error instanceof ConfigError)) throw error;
	console.error(error.message);
	process.exit(1);
}

const logger = createLogger(config.logLevel);
const running = await startSealdrop(config, { logger }).catch((error: unknown) => {
	const code = (error as { code?: unknown } | null)?.code;
	if (code === 'EADDRINUSE') console.error(`Port ${config.port} on ${config.host} is in use (SEALDROP_PORT).`);
	else if (code === 'EACCES') console.error(`Not allowed to listen on ${config.host}:${config.port}.`);
	else if (error instanceof StoreStartError) console.error(`Sealdrop cannot start: ${error.message} [${error.code}]`);
	else if (error instanceof ConfigError) console.error(error.message);
	else logger.fatal({ err: error }, 'start-up failed');
	process.exit(1);
});

console.log(listeningBanner(config, running));

let stopping = false;
function shutdown(signal: string): void {
	if (stopping) {
		// A second Ctrl-C means "now".
		process.exit(1);
	}
	stopping = true;
	logger.info({ signal }, 'shutting down');
	running.close().then(
		() => process.exit(0),
		(error: unknown) => {
			logger.error({ err: error }, 'shutdown failed');
			process.exit(1);
		}
	);
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
// The usual "reload" signal: picks up a renewed certificate without dropping connections.
process.on('SIGHUP', () => {
	running.reloadTls().catch((error: unknown) => {
		// Keep serving with the old certificate rather than stop.
		logger.error({ err: error instanceof ConfigError ? error.message : error }, 'TLS reload failed');
	});
});
