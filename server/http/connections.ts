import { readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import type { Config } from '../config/schema';
import type { Logger } from '../logger';
import { addressKey } from './client-address';

export interface ConnectionLimits {
	/** Open connections in all (Node's server.maxConnections). */
	max: number;
	/** Open connections from one address (IPv6: one /64); undefined: no per-address cap. */
	perAddress: number | undefined;
	/** A new connection that has sent nothing for this long is closed. */
	silentMs: number;
}

/**
 * The limits from the configuration. The per-address cap applies only when the TCP peer is the
 * client: behind trusted proxies (SEALDROP_TRUST_PROXY) every connection comes from a proxy, whose
 * own per-client limit does that job (docs/SELF-HOSTING.md). A connection that has sent nothing
 * gets the shorter of the keep-alive and headers timeouts: an unused new connection is an idle
 * keep-alive connection that has not served anything yet.
 */
export function connectionLimits(config: Config): ConnectionLimits {
	return {
		max: config.maxConnections,
		perAddress: config.trustProxy > 0 || config.maxConnectionsPerAddress === 0 ? undefined : config.maxConnectionsPerAddress,
		silentMs: Math.min(config.timeouts.keepAlive, config.timeouts.headers) * 1000
	};
}

/** Descriptors the process needs besides connections: files of uploads in flight, the database, logs. */
const DESCRIPTOR_RESERVE = 256;

/** The process's open-file limit where the system tells it (Linux), else undefined. */
export function descriptorLimit(): number | undefined {
	try {
		const line = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
		return line ? Number(line[1]) : undefined;
	} catch {
		return undefined;
	}
}

/** Why a connection was closed by these limits (the label of sealdrop_connections_refused_total). */
export type RefusalReason = 'max_connections' | 'per_address' | 'silent';

/** Running totals for /metrics: this process's refusals since it started, and its open connections. */
export interface ConnectionCounts {
	refused: Record<RefusalReason, number>;
	open: number;
}

export function newConnectionCounts(): ConnectionCounts {
	return { refused: { max_connections: 0, per_address: 0, silent: 0 }, open: 0 };
}

/** Refusals are logged at most this often, as one line with their count (a flood must not flood the log). */
const REFUSAL_LOG_MS = 10_000;

/**
 * Connection-level limits of the listening server, so that one client opening connections as fast
 * as it can neither exhausts the process's file descriptors nor keeps everyone else out:
 * - over `max` open connections Node itself closes the new one right after accepting it;
 * - over `perAddress` from one address the new one is closed at once, before any byte is read;
 * - a new connection that has sent nothing within `silentMs` is closed (Node's headers timeout
 *   would otherwise give it `headersTimeout` plus up to one checking interval). One that has
 *   begun its request, or its TLS handshake, is left to the headers (or handshake) timeout.
 * Addresses are never logged, as for the rate limits.
 */
export function guardConnections(
	server: Server,
	limits: ConnectionLimits,
	logger: Logger,
	counts: ConnectionCounts = newConnectionCounts()
): void {
	server.maxConnections = limits.max;
	const fds = descriptorLimit();
	if (fds !== undefined && limits.max + DESCRIPTOR_RESERVE > fds) {
		// Past the limit accept() fails (EMFILE) and so do file opens: the cap should bite first.
		logger.warn(
			{ maxConnections: limits.max, descriptorLimit: fds },
			'SEALDROP_MAX_CONNECTIONS is too close to the open-file limit: lower it or raise the limit (LimitNOFILE, ulimit -n)'
		);
	}
	const byAddress = new Map<string, number>();

	const refused = { total: 0, perAddress: 0 };
	let logTimer: NodeJS.Timeout | undefined;
	const flushRefusals = () => {
		logTimer = undefined;
		if (refused.total + refused.perAddress === 0) return;
		logger.warn(
			{
				overTotal: refused.total,
				overPerAddress: refused.perAddress,
				max: limits.max,
				perAddress: limits.perAddress,
				seconds: REFUSAL_LOG_MS / 1000
			},
			'connections refused'
		);
		refused.total = 0;
		refused.perAddress = 0;
		logTimer = setTimeout(flushRefusals, REFUSAL_LOG_MS);
		logTimer.unref();
	};
	const noteRefusal = (reason: keyof typeof refused) => {
		refused[reason]++;
		counts.refused[reason === 'total' ? 'max_connections' : 'per_address']++;
		// The first refusal is logged at once, later ones in one line per period.
		if (!logTimer) flushRefusals();
	};
	// Node's own cap: it has already closed the socket.
	server.on('drop', () => noteRefusal('total'));

	server.on('connection', (socket: Socket) => {
		const key = socket.remoteAddress === undefined ? undefined : addressKey(socket.remoteAddress);
		if (key !== undefined && limits.perAddress !== undefined) {
			const held = byAddress.get(key) ?? 0;
			if (held >= limits.perAddress) {
				noteRefusal('perAddress');
				socket.destroy();
				return;
			}
			byAddress.set(key, held + 1);
		}
		counts.open++;
		const silent = setTimeout(() => {
			// bytesRead counts raw bytes, so a TLS ClientHello counts as speaking too.
			if (socket.bytesRead === 0) {
				counts.refused.silent++;
				socket.destroy();
			}
		}, limits.silentMs);
		silent.unref();
		socket.once('close', () => {
			counts.open--;
			clearTimeout(silent);
			if (key === undefined || limits.perAddress === undefined) return;
			const left = (byAddress.get(key) ?? 1) - 1;
			if (left > 0) byAddress.set(key, left);
			else byAddress.delete(key);
		});
	});
}
