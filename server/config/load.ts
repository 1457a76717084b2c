import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, envSchema, loadConfig, type Config } from './config';

/** Settings read from a file, and the line each came from (for error messages). */
export interface ConfigFile {
	path: string;
	values: Record<string, string>;
	lines: Record<string, number>;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads a dotenv-style file: `KEY=value` lines, `#` comments and blank lines, an optional
 * `export ` prefix, values optionally in single or double quotes (taken literally; inside double
 * quotes `\"` and `\\` are escapes). Only Sealdrop settings are allowed, each at most once, so a
 * typo cannot be silently ignored. Throws ConfigError naming the file, the line and the key.
 */
export function readConfigFile(file: string): ConfigFile {
	const path = resolve(file);
	let text: string;
	try {
		text = readFileSync(path, 'utf8');
	} catch (error) {
		const code = (error as { code?: unknown } | null)?.code;
		throw new ConfigError([`SEALDROP_CONFIG_FILE: cannot read ${path} (${typeof code === 'string' ? code : 'error'})`]);
	}
	const known = new Set(Object.keys(envSchema.shape));
	const values: Record<string, string> = {};
	const lines: Record<string, number> = {};
	const problems: string[] = [];
	text.split(/\r?\n/).forEach((raw, index) => {
		const where = `${path} line ${index + 1}`;
		const line = raw.trim();
		if (line === '' || line.startsWith('#')) return;
		const eq = line.indexOf('=');
		const key = (eq < 0 ? line : line.slice(0, eq)).replace(/^export\s+/, '').trim();
		if (eq < 0 || !KEY.test(key)) {
			problems.push(`${where}: expected KEY=value`);
			return;
		}
		if (key === 'SEALDROP_CONFIG_FILE') {
			problems.push(`${where}: SEALDROP_CONFIG_FILE cannot be set inside the config file`);
			return;
		}
		if (!known.has(key)) {
			problems.push(`${where}: unknown setting ${key}`);
			return;
		}
		if (lines[key] !== undefined) {
			problems.push(`${where}: ${key} is already set on line ${lines[key]}`);
			return;
		}
		const value = unquote(line.slice(eq + 1).trim());
		if (value === undefined) {
			problems.push(`${where}: ${key} has an unterminated quote`);
			return;
		}
		values[key] = value;
		lines[key] = index + 1;
	});
	if (problems.length > 0) throw new ConfigError(problems);
	return { path, values, lines };
}

function unquote(value: string): string | undefined {
	const quote = value[0];
	if (quote === "'" || quote === '"') {
		const end = value.lastIndexOf(quote);
		if (end === 0) return undefined;
		const inner = value.slice(1, end);
		// Anything after the closing quote may only be a comment.
		const rest = value.slice(end + 1).trim();
		if (rest !== '' && !rest.startsWith('#')) return undefined;
		return quote === '"' ? inner.replace(/\\(["\\])/g, '$1') : inner;
	}
	// An unquoted value ends at a ` #` comment, as in most dotenv readers.
	return value.replace(/\s+#.*$/, '');
}

/**
 * The configuration of a process: `SEALDROP_CONFIG_FILE`'s settings, if it names a file, with
 * the environment on top (a variable that is set and not empty wins over the file). A bad value
 * that came from the file is reported with the file and line it is on.
 */
export function loadConfigFromEnvironment(env: Record<string, string | undefined>): Config {
	const file = env.SEALDROP_CONFIG_FILE?.trim();
	if (!file) return loadConfig(env);
	const read = readConfigFile(file);
	const merged: Record<string, string | undefined> = { ...read.values };
	const fromFile = new Set(Object.keys(read.values));
	for (const [name, value] of Object.entries(env)) {
		if (value === undefined || value.trim() === '') continue;
		merged[name] = value;
		fromFile.delete(name);
	}
	try {
		return loadConfig(merged);
	} catch (error) {
		if (!(error instanceof ConfigError)) throw error;
		throw new ConfigError(
			error.problems.map((problem) => {
				const name = /^([A-Z0-9_]+):/.exec(problem)?.[1];
				return name && fromFile.has(name) ? `${problem} [set in ${read.path} line ${read.lines[name]}]` : problem;
			})
		);
	}
}
