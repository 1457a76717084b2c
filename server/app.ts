import { Hono } from 'hono';
import { Accounts } from './accounts/service';
import type { Clock } from './clock';
import type { Config } from './config/schema';
import { createErrorHandler } from './errors';
import { noSuchEndpoint } from './http/errors';
import { healthRoutes } from './http/health';
import { socketAddress, type ClientAddress } from './http/client-address';
import type { ConnectionCounts } from './http/connections';
import { forwardedAddress } from './http/forwarded';
import { createMetrics, metricsHandler, metricsMiddleware } from './http/metrics';
import { rateLimit, RateLimiter, type RateRule } from './http/rate-limit';
import { hsts } from './http/tls';
import { securityHeaders } from './http/security-headers';
import { bodyIdleTimeout, minBodyRate } from './http/timeouts';
import { uploadLimit, UploadSlots } from './http/upload-slots';
import { loadStaticSite } from './http/static';
import { bucketOrigin } from './stores/blob/s3-url';
import type { Logger } from './logger';
import { apiRoutes } from './routes';
import { createRequests } from './requests';
import { createShares } from './shares';
import { AttemptLimiter, type AttemptLimiterOptions } from './shares/attempts';
import { UploadSignals, type StreamTiming } from './shares/stream';
import type { BlobStore } from './stores/blob/types';
import type { MetaStore } from './stores/meta/types';

export interface AppDeps {
	config: Config;
	clock: Clock;
	meta: MetaStore;
	blobs: BlobStore;
	logger: Logger;
	/** Backend names for /readyz (e.g. postgres, s3). */
	backends?: { meta: string; blobs: string };
	/**
	 * The wrong-read-token limits (by default DEFAULT_ATTEMPT_LIMITS). The limiter itself is always
	 * built here, on `meta` and `clock`, so every instance sharing the database shares its counts.
	 */
	attemptLimits?: AttemptLimiterOptions;
	/**
	 * Who a request comes from, for that limit and the rate limits; by default the TCP peer
	 * address, or X-Forwarded-For with SEALDROP_TRUST_PROXY.
	 */
	clientAddress?: ClientAddress;
	/** How long blob reads of a share still uploading wait for a part (tests shorten it). */
	streamTiming?: StreamTiming;
	/** The wake-ups of streamed reads, when the caller stops them on shutdown (start.ts); else made here from streamTiming. */
	uploadSignals?: UploadSignals;
	/** The listening server's connection counts, for /metrics (start.ts passes them). */
	connections?: ConnectionCounts;
}

/**
 * The whole HTTP surface as a Hono app: API, static web app, headers, errors. Opens nothing,
 * listens nowhere and starts no timer, so tests can drive it with `app.request()`.
 */
export function createApp(deps: AppDeps): Hono {
	// With direct transfers the pages and their workers fetch from the bucket too.
	const store = deps.config.blobStore;
	const bucket = deps.config.s3Direct && store.kind === 's3' ? [bucketOrigin(store)] : [];
	const site = loadStaticSite(deps.config.staticDir, deps.logger, bucket);
	const app = new Hono();
	app.onError(createErrorHandler(deps.logger));
	app.use('*', securityHeaders(site.csp));
	if (deps.config.tls) app.use('*', hsts());
	const uploads = new UploadSlots(deps.config.maxConcurrentUploads, deps.config.maxUploadsPerClient);
	const metrics = createMetrics({
		shares: deps.meta.shares,
		clock: deps.clock,
		logger: deps.logger,
		uploadsInFlight: () => uploads.inFlight,
		connections: deps.connections
	});
	app.use('*', metricsMiddleware(metrics));
	app.use('*', async (c, next) => {
		const started = performance.now();
		await next();
		// The route pattern, not the URL: enough to debug, nothing to leak.
		deps.logger.debug(
			{ method: c.req.method, route: c.req.routePath, status: c.res.status, ms: Math.round(performance.now() - started) },
			'request'
		);
	});
	// API answers are per-user and often secret: no cache may keep them.
	app.use('/api/*', async (c, next) => {
		await next();
		c.res.headers.set('Cache-Control', 'no-store');
	});
	// A stalled request body is cut; a slow one that keeps sending is not (http/timeouts.ts).
	app.use('/api/*', bodyIdleTimeout(deps.config.timeouts.idle * 1000, deps.logger));
	// So is a trickle that never goes quite silent, once its grace period is over.
	app.use('/api/*', minBodyRate(deps.config.minUploadRate, deps.logger));
	const clientAddress = deps.clientAddress ?? (deps.config.trustProxy > 0 ? forwardedAddress(deps.config.trustProxy) : socketAddress);
	app.put('/api/v1/shares/:id/parts/:n', uploadLimit(uploads, clientAddress));
	const attempts = new AttemptLimiter(deps.meta.attempts, deps.clock, deps.attemptLimits);
	const limit = (path: string, rule: RateRule | undefined, action: string) => {
		if (rule) app.post(path, rateLimit(new RateLimiter(deps.clock, rule), clientAddress, action));
	};
	limit('/api/v1/shares', deps.config.rateLimits.create, 'creating shares');
	limit('/api/v1/shares/:id/claim', deps.config.rateLimits.claim, 'claiming downloads');
	limit('/api/v1/requests', deps.config.rateLimits.create, 'creating file requests');
	limit('/api/v1/requests/:id/submissions', deps.config.submitRateLimit, 'submitting files');
	const restricted = deps.config.uploadAccess === 'restricted';
	if (restricted) limit('/api/v1/login', deps.config.loginRateLimit, 'logging in');
	const accounts = restricted ? new Accounts({ ...deps, accounts: deps.meta.accounts }) : undefined;
	const useCases = { ...deps, attempts, uploads: deps.uploadSignals ?? new UploadSignals(deps.streamTiming) };
	app.route('/api/v1', apiRoutes(createShares(useCases), createRequests(useCases), deps.config, clientAddress, accounts));
	app.get('/metrics', metricsHandler(metrics, deps.config.metricsToken));
	app.route(
		'/',
		healthRoutes(
			[
				{ name: 'meta', backend: deps.backends?.meta ?? 'custom', ping: () => deps.meta.ping() },
				{ name: 'blobs', backend: deps.backends?.blobs ?? 'custom', ping: deps.blobs.ping?.bind(deps.blobs) }
			],
			deps.logger
		)
	);
	app.all('/api/*', () => {
		throw noSuchEndpoint();
	});
	// The manifest's share target is the service worker's to answer. Without one (site data cleared)
	// the shared files cannot reach the page: open the app. The body is not read into anything;
	// Node discards what is still on the wire so the browser sees the answer, not a reset.
	app.post('/_download/share', (c) => c.redirect('/', 303));
	app.get('*', site.handler);
	app.notFound((c) => c.text('Not found', 404));
	return app;
}
