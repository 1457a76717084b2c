import { MAX_PASSWORD_LENGTH } from './passwords';

export const MIN_PASSWORD_LENGTH = 12;

/**
 * Words of the passwords that lead every leaked-password list (compared after lower-casing and
 * splitting at digits and symbols, so `Password123!` counts as `password`).
 */
const COMMON = new Set([
	'password',
	'passw0rd',
	'pass',
	'passwort',
	'motdepasse',
	'contrasena',
	'secret',
	'letmein',
	'welcome',
	'admin',
	'administrator',
	'root',
	'toor',
	'login',
	'changeme',
	'default',
	'guest',
	'user',
	'test',
	'qwerty',
	'qwertz',
	'azerty',
	'asdf',
	'asdfgh',
	'zxcvbn',
	'iloveyou',
	'monkey',
	'dragon',
	'master',
	'sunshine',
	'princess',
	'football',
	'baseball',
	'superman',
	'batman',
	'trustno',
	'shadow',
	'michael',
	'jessica',
	'charlie',
	'freedom',
	'whatever',
	'starwars',
	'hello',
	'hunter',
	'killer',
	'ninja',
	'mustang',
	'access',
	'flower',
	'cheese',
	'computer',
	'internet',
	'summer',
	'winter',
	'spring',
	'autumn',
	'sealdrop',
	'server',
	'upload',
	'sharing',
	'abc',
	'abcdef',
	'abcdefgh'
]);

/** Runs of keys: a password that is a piece of one of these is a walk, not a secret. */
const SEQUENCES = [
	'abcdefghijklmnopqrstuvwxyz',
	'01234567890',
	'qwertyuiopasdfghjklzxcvbnm',
	'qwertzuiopasdfghjklyxcvbnm',
	'azertyuiopqsdfghjklmwxcvbn'
];

/**
 * Why a password an admin is about to set is known to be weak, or undefined if it passes. The
 * rules follow NIST SP 800-63B: a minimum length, no well-known or derived passwords, and no
 * composition rules beyond that.
 */
export function weakPasswordReason(password: string, userName: string): string | undefined {
	if (password.length < MIN_PASSWORD_LENGTH) return `it must have at least ${MIN_PASSWORD_LENGTH} characters`;
	if (password.length > MAX_PASSWORD_LENGTH) return `it must have at most ${MAX_PASSWORD_LENGTH} characters`;
	const lower = password.toLowerCase();
	if (new Set(lower).size < 5) return 'it repeats too few different characters';
	if (userName.length >= 3 && lower.includes(userName.toLowerCase())) return 'it contains the user name';
	const base = lower.replace(/^[^a-z]+|[^a-z]+$/g, '');
	// Made of well-known words only (`Password2024!`, `admin-admin`, `sealdropsealdrop`).
	const words = lower.split(/[^a-z]+/).filter(Boolean);
	const common = (word: string) => COMMON.has(word) || COMMON.has(word.replace(/^(.+?)\1+$/, '$1'));
	if (words.length > 0 && words.every(common)) return 'it is a well-known password';
	const compact = lower.replace(/[\s\-_.]/g, '');
	const walk = (s: string) => SEQUENCES.some((seq) => seq.includes(s) || [...seq].reverse().join('').includes(s));
	if (walk(compact) || walk(base) || /^\d+$/.test(compact)) return 'it is a keyboard or number sequence';
	return undefined;
}
