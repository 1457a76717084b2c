// `npm run user -- …`: manages the user accounts of restricted upload mode, in the database the
// server uses (the same SEALDROP_* environment and SEALDROP_CONFIG_FILE). See docs/SELF-HOSTING.md, "Restricted mode".
import { systemClock } from '../clock';
import { ConfigError, type Config } from '../config/schema';
import { loadConfigFromEnvironment } from '../config/load';
import { createLogger } from '../logger';
import { StoreStartError } from '../stores/errors';
import { openMetaStore } from '../stores/open';
import type { MetaStore } from '../stores/meta/types';
import { promptHidden, readPasswordFrom } from './password-input';
import { userCommand, USER_USAGE } from './user';

async function readPassword(fromStdin: boolean): Promise<string> {
	if (fromStdin) return readPasswordFrom(process.stdin);
	if (!process.stdin.isTTY) throw new ConfigError(['no terminal to ask for the password on: pipe it in with --password-stdin']);
	const first = await promptHidden('New password: ');
	const second = await promptHidden('Repeat it: ');
	if (first !== second) throw new ConfigError(['the two passwords differ']);
	return first;
}

async function main(argv: string[]): Promise<number> {
	const [group, ...args] = argv;
	if (group !== 'user') {
		console.error(USER_USAGE);
		return 2;
	}
	let config: Config;
	let meta: MetaStore;
	try {
		// The same loader as the server (SEALDROP_CONFIG_FILE, then the environment), so both
		// always open the same database.
		config = loadConfigFromEnvironment(process.env);
		meta = await openMetaStore(config.database);
	} catch (error) {
		if (error instanceof ConfigError || error instanceof StoreStartError) {
			console.error(error.message);
			return 1;
		}
		throw error;
	}
	// Audit lines go to stderr, as JSON like the server's, so stdout stays the command's answer.
	const logger = createLogger(config.logLevel === 'silent' ? 'silent' : 'info', { write: (line: string) => process.stderr.write(line) });
	try {
		return await userCommand(args, {
			accounts: meta.accounts,
			clock: systemClock,
			logger,
			out: (line) => console.log(line),
			err: (line) => console.error(line),
			readPassword: () => readPassword(args.includes('--password-stdin'))
		});
	} catch (error) {
		if (error instanceof ConfigError) {
			console.error(error.problems.join('\n'));
			return 1;
		}
		throw error;
	} finally {
		await meta.close();
	}
}

process.exitCode = await main(process.argv.slice(2));
