import { audit, type AuditEvent } from './logger';
import type { StoreDeps } from './shares/deps';

export interface SweepResult {
	expired: number;
	exhausted: number;
	abandoned: number;
	blobsDeleted: number;
	ticketsDeleted: number;
	purged: number;
}

const BATCH = 500;
const DAY_MS = 86_400_000;
/** Looking for orphans lists every blob in the store: not on every pass. */
const ORPHAN_SWEEP_EVERY_MS = 3_600_000;
const lastOrphanSweep = new WeakMap<object, number>();

/**
 * One pass of the sweeper. Safe to run on several instances at once: every state change is a
 * conditional UPDATE that only one of them wins (and only the winner writes the audit line);
 * deleting a blob twice is harmless.
 */
export async function sweep(deps: StoreDeps): Promise<SweepResult> {
	const { config, meta, logger } = deps;
	const now = deps.clock.now();

	/** Runs a batched transition to exhaustion, auditing each share this instance changed. */
	async function drain(event: AuditEvent, step: (limit: number) => Promise<string[]>): Promise<number> {
		let total = 0;
		for (;;) {
			const ids = await step(BATCH);
			for (const id of ids) audit(logger, event, { shareId: id });
			total += ids.length;
			if (ids.length < BATCH) return total;
		}
	}

	// File requests past their expiry end, and their submissions with them (counted as expired shares).
	for (;;) {
		const ids = await meta.requests.expireDue(now, BATCH);
		for (const id of ids) audit(logger, 'request.expire', { requestId: id });
		if (ids.length < BATCH) break;
	}
	const submissionsExpired = await drain('share.expire', (limit) => meta.requests.expireSubmissions(now, limit));
	const expired = submissionsExpired + (await drain('share.expire', (limit) => meta.sweeping.expireDue(now, limit)));
	const exhausted = await drain('share.exhaust', (limit) => meta.sweeping.exhaustDrained(now, limit));
	const abandoned = await drain('share.abandon', (limit) => meta.sweeping.abandonIdle(now - config.abandonAfter * 1000, now, limit));

	let blobsDeleted = 0;
	for (;;) {
		const batch = await meta.sweeping.listBlobsToDelete(BATCH);
		let failed = 0;
		for (const blob of batch) {
			try {
				await deps.blobs.delete({ id: blob.id, upload: blob.blobUpload });
				await meta.sweeping.markBlobGone(blob.id);
				blobsDeleted++;
			} catch (error) {
				failed++;
				logger.warn({ err: error, shareId: blob.id }, 'sweeper could not delete a blob; will retry');
			}
		}
		// Stop on a short batch, or when failures would make us list the same rows again.
		if (batch.length < BATCH || failed > 0) break;
	}

	const ticketsDeleted = await meta.sweeping.deleteExpiredTickets(now);
	// Ended wrong-token windows: nothing reads them again (not reported: they are not shares).
	await meta.attempts.deleteEnded(now);
	const purged = await meta.sweeping.purgeTombstones(now - config.tombstoneDays * DAY_MS);
	// Expired file requests go as their submissions do (not reported: they are not shares).
	await meta.requests.purgeExpired(now - config.tombstoneDays * DAY_MS);
	await deps.blobs.collectGarbage?.(now - config.abandonAfter * 1000);
	// Wiped and purged rows leave free pages; a failure here costs only disk space.
	await meta.compact().catch((error: unknown) => logger.warn({ err: error }, 'could not compact the database'));
	await sweepOrphans(deps, now);

	const result = { expired, exhausted, abandoned, blobsDeleted, ticketsDeleted, purged };
	// Every pass is logged, the quiet ones at debug level only (tests count passes by it).
	if (Object.values(result).some((count) => count > 0)) logger.info({ sweep: result }, 'sweep');
	else logger.debug({ sweep: result }, 'sweep');
	return result;
}

/**
 * Removes blobs and uploads that no share row claims, older than abandonAfter: left by a crash
 * between creating storage and recording the share (versions before the row came first), or
 * recreated by a write racing a delete. Hourly per instance; errors are logged, not thrown.
 */
async function sweepOrphans(deps: StoreDeps, now: number): Promise<void> {
	const { blobs, meta, logger, config } = deps;
	if (!blobs.collectOrphans) return;
	const last = lastOrphanSweep.get(blobs);
	if (last !== undefined && now - last < ORPHAN_SWEEP_EVERY_MS) return;
	lastOrphanSweep.set(blobs, now);
	try {
		const removed = await blobs.collectOrphans(now - config.abandonAfter * 1000, (ids) => meta.sweeping.liveBlobs(ids));
		if (removed > 0) logger.info({ orphans: removed }, 'removed blobs that no share recorded');
	} catch (error) {
		lastOrphanSweep.delete(blobs);
		logger.warn({ err: error }, 'sweeper could not look for orphaned blobs; will retry');
	}
}
