import { auditAccount } from '../accounts/audit';
import { parseUserName, USER_NAME_RULE } from '../accounts/names';
import { weakPasswordReason } from '../accounts/password-policy';
import { hashPassword } from '../accounts/passwords';
import { newPublicId } from '../accounts/tokens';
import { parseByteSize } from '../byte-size';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { AccountStore, UserLimits } from '../stores/meta/account-types';

export interface UserCommandDeps {
	accounts: AccountStore;
	clock: Clock;
	/** Receives the audit lines. */
	logger: Logger;
	out(line: string): void;
	err(line: string): void;
	/** Asks for a new password (twice on a terminal) or reads it from stdin. */
	readPassword(): Promise<string>;
}

export const USER_USAGE = `Usage: npm run user -- COMMAND

  add NAME [LIMITS] [--password-stdin]   create an account (asks for its password)
  list                                   accounts, their limits and what they use
  disable NAME                           refuse its logins, sessions and API tokens
  enable NAME                            allow it again
  reset-password NAME [--password-stdin] set a new password; ends its sessions and API tokens
  limits NAME LIMITS                     change its limits

LIMITS: --quota-bytes SIZE (e.g. 10GiB), --quota-shares N, --max-expiry SECONDS; "none" removes one.
The password is asked on the terminal, or read from stdin with --password-stdin; never from the
command line, where other users and the shell history could see it.`;

class UsageError extends Error {}

/** A whole number, or for --quota-bytes a size with a binary unit (10GiB); `none` for no limit. */
function parseLimit(flag: string, text: string | undefined): number | null {
	if (text === undefined) throw new UsageError(`${flag} needs a value`);
	if (text.toLowerCase() === 'none') return null;
	const value = flag === '--quota-bytes' || /^\s*\d+\s*$/.test(text) ? parseByteSize(text) : null;
	if (value === null) throw new UsageError(`${flag}: not a whole number: ${text}`);
	if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`${flag}: must be at least 1`);
	return value;
}

/** `args` after the command: the name, then flags. */
function parseArgs(args: string[], allowed: string[]): { name: string; limits: Partial<UserLimits>; passwordStdin: boolean } {
	const [rawName, ...rest] = args;
	if (rawName === undefined || rawName.startsWith('--')) throw new UsageError('give the user name');
	const name = parseUserName(rawName);
	if (!name) throw new UsageError(`not a valid user name (${USER_NAME_RULE}): ${rawName}`);
	const limits: Partial<UserLimits> = {};
	let passwordStdin = false;
	for (let i = 0; i < rest.length; i++) {
		const flag = rest[i]!;
		if (!allowed.includes(flag)) throw new UsageError(`unknown option: ${flag}`);
		if (flag === '--password-stdin') passwordStdin = true;
		else if (flag === '--quota-bytes') limits.quotaBytes = parseLimit(flag, rest[++i]);
		else if (flag === '--quota-shares') limits.quotaShares = parseLimit(flag, rest[++i]);
		else if (flag === '--max-expiry') limits.maxExpiry = parseLimit(flag, rest[++i]);
	}
	return { name, limits, passwordStdin };
}

const LIMIT_FLAGS = ['--quota-bytes', '--quota-shares', '--max-expiry'];

/** Runs `user …`; returns the process exit code (0 done, 1 refused, 2 usage). */
export async function userCommand(args: string[], deps: UserCommandDeps): Promise<number> {
	const [command, ...rest] = args;
	try {
		switch (command) {
			case 'add':
				return await add(parseArgs(rest, [...LIMIT_FLAGS, '--password-stdin']), deps);
			case 'reset-password':
				return await resetPassword(parseArgs(rest, ['--password-stdin']).name, deps);
			case 'disable':
			case 'enable':
				return await setDisabled(parseArgs(rest, []).name, command === 'disable', deps);
			case 'limits':
				return await setLimits(parseArgs(rest, LIMIT_FLAGS), deps);
			case 'list':
				return await list(deps);
			default:
				deps.err(USER_USAGE);
				return 2;
		}
	} catch (error) {
		if (!(error instanceof UsageError)) throw error;
		deps.err(`${error.message}\n\n${USER_USAGE}`);
		return 2;
	}
}

/** A new password that passes the policy, or undefined (the reason printed). */
async function newPasswordHash(name: string, deps: UserCommandDeps): Promise<string | undefined> {
	const password = await deps.readPassword();
	const weak = weakPasswordReason(password, name);
	if (weak) {
		deps.err(`Refused: that password is weak (${weak}). Several random words make a strong one.`);
		return undefined;
	}
	return hashPassword(password);
}

async function add(input: ReturnType<typeof parseArgs>, deps: UserCommandDeps): Promise<number> {
	const { name, limits } = input;
	if (await deps.accounts.findUserByName(name)) {
		deps.err(`User "${name}" exists already.`);
		return 1;
	}
	const passwordHash = await newPasswordHash(name, deps);
	if (!passwordHash) return 1;
	const id = newPublicId();
	const added = await deps.accounts.addUser({
		id,
		name,
		passwordHash,
		createdAt: deps.clock.now(),
		quotaBytes: limits.quotaBytes ?? null,
		quotaShares: limits.quotaShares ?? null,
		maxExpiry: limits.maxExpiry ?? null
	});
	if (!added) {
		deps.err(`User "${name}" exists already.`);
		return 1;
	}
	auditAccount(deps.logger, 'user.add', { userId: id, name });
	deps.out(`Added user "${name}".`);
	return 0;
}

async function resetPassword(name: string, deps: UserCommandDeps): Promise<number> {
	const user = await deps.accounts.findUserByName(name);
	if (!user) return noSuchUser(name, deps);
	const passwordHash = await newPasswordHash(name, deps);
	if (!passwordHash) return 1;
	if (!(await deps.accounts.setPassword(name, passwordHash, deps.clock.now()))) return noSuchUser(name, deps);
	auditAccount(deps.logger, 'user.password', { userId: user.id, name });
	deps.out(`New password set for "${name}"; its sessions and API tokens have ended.`);
	return 0;
}

async function setDisabled(name: string, disabled: boolean, deps: UserCommandDeps): Promise<number> {
	const user = await deps.accounts.findUserByName(name);
	if (!user || !(await deps.accounts.setDisabled(name, disabled, deps.clock.now()))) return noSuchUser(name, deps);
	auditAccount(deps.logger, disabled ? 'user.disable' : 'user.enable', { userId: user.id, name });
	deps.out(disabled ? `Disabled "${name}": its sessions ended and its API tokens stop working.` : `Enabled "${name}".`);
	return 0;
}

async function setLimits(input: ReturnType<typeof parseArgs>, deps: UserCommandDeps): Promise<number> {
	const user = await deps.accounts.findUserByName(input.name);
	if (!user || !(await deps.accounts.setLimits(input.name, input.limits, deps.clock.now()))) return noSuchUser(input.name, deps);
	auditAccount(deps.logger, 'user.limits', { userId: user.id, name: input.name });
	deps.out(`Limits of "${input.name}" changed.`);
	return 0;
}

async function list(deps: UserCommandDeps): Promise<number> {
	const users = await deps.accounts.listUsers();
	if (users.length === 0) {
		deps.out('No users yet. Add one with: npm run user -- add NAME');
		return 0;
	}
	const of = (used: number, limit: number | null) => `${used}/${limit ?? '-'}`;
	const rows = users.map((user) => [
		user.name,
		user.disabled ? 'disabled' : 'enabled',
		of(user.usage.shares, user.quotaShares),
		of(user.usage.bytes, user.quotaBytes),
		user.maxExpiry === null ? '-' : `${user.maxExpiry}s`,
		new Date(user.createdAt).toISOString().slice(0, 10)
	]);
	const table = [['NAME', 'STATUS', 'SHARES', 'BYTES', 'MAX EXPIRY', 'CREATED'], ...rows];
	const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
	for (const row of table)
		deps.out(
			row
				.map((cell, i) => cell.padEnd(widths[i]!))
				.join('  ')
				.trimEnd()
		);
	return 0;
}

function noSuchUser(name: string, deps: UserCommandDeps): number {
	deps.err(`No user "${name}".`);
	return 1;
}
