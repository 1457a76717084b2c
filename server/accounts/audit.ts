import type { Logger } from '../logger';

export type AccountAuditEvent =
	| 'user.login'
	| 'user.logout'
	| 'user.add'
	| 'user.disable'
	| 'user.enable'
	| 'user.password'
	| 'user.limits'
	| 'token.create'
	| 'token.revoke';

/**
 * Fields allowed in an account audit line: ids, names an admin chose, outcomes. Never a
 * password, a session or API token, a file name or a client address; for a login with an
 * unknown name not even the name (people type passwords into the name field).
 */
export type AccountAuditFields = { userId: string | null } & Record<string, string | number | boolean | null>;

export function auditAccount(logger: Logger, event: AccountAuditEvent, fields: AccountAuditFields): void {
	logger.info({ audit: event, ...fields }, event);
}
