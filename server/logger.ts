import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config/schema';

export type { Logger } from 'pino';

/**
 * Structured JSON logs. The redact list is a safety net only: code never passes tokens,
 * tickets, headers or header/metadata bytes to the logger in the first place.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
	const options = {
		level,
		base: { service: 'sealdrop' },
		redact: {
			paths: [
				'authorization',
				'*.authorization',
				'headers',
				'*.headers',
				'token',
				'*.token',
				'ticket',
				'*.ticket',
				'header',
				'metadata',
				'ownerToken',
				'readToken',
				'password',
				'keyShare',
				'unlockToken'
			],
			censor: '[redacted]'
		}
	};
	return destination ? pino(options, destination) : pino(options);
}

export type AuditEvent =
	| 'share.create'
	| 'share.complete'
	| 'share.claim'
	| 'share.delete'
	| 'share.update'
	| 'share.expire'
	| 'share.exhaust'
	| 'share.abandon'
	| 'request.create'
	| 'request.submit'
	| 'request.close'
	| 'request.expire'
	| 'submission.delete';

/** Fields allowed in an audit line: ids, counts and times, never secrets or client addresses. */
export type AuditFields = ({ shareId: string } | { requestId: string }) & Record<string, string | number | boolean | null>;

/** One audit line per state change, emitted by whoever won the change. */
export function audit(logger: Logger, event: AuditEvent, fields: AuditFields): void {
	logger.info({ audit: event, ...fields }, event);
}
