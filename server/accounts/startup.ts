import { ConfigError } from '../config/schema';
import type { Logger } from '../logger';
import type { AccountStore } from '../stores/meta/account-types';
import { hashMeetsPolicy } from './passwords';

/**
 * Restricted mode has no server-wide secret to get wrong (sessions and API tokens are random
 * values stored only as SHA-256), so the secrets that can be weak are the users' passwords:
 * `user add` and `user reset-password` refuse known-weak ones, and here the server refuses to
 * start while an enabled account's stored hash is not Argon2id at today's parameters (a row
 * written by hand, or by an older version), since such a hash is cheap to attack if it leaks.
 */
export async function checkAccountsAtStart(accounts: AccountStore, logger: Logger): Promise<void> {
	const users = await accounts.listUsers();
	const weak = users.filter((user) => !user.disabled && !hashMeetsPolicy(user.passwordHash)).map((user) => user.name);
	if (weak.length > 0) {
		throw new ConfigError(
			weak.map(
				(name) =>
					`SEALDROP_UPLOAD_ACCESS=restricted: the password of user "${name}" is not stored as Argon2id at today's strength; ` +
					`run \`npm run user -- reset-password ${name}\` (or \`disable ${name}\`)`
			)
		);
	}
	if (!users.some((user) => !user.disabled)) {
		logger.warn('restricted uploads: no enabled user account yet; create one with `npm run user -- add NAME`');
	}
}
