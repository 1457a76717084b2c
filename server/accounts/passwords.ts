import { hash, verify } from '@node-rs/argon2';

/**
 * Argon2id (the library's default algorithm) with OWASP's minimum parameters: 19 MiB, 2 passes,
 * one lane. The library runs it on libuv's thread pool, so a login never blocks the event loop.
 */
export const ARGON2_PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Passwords longer than this are refused before hashing (a cheap guard against huge bodies). */
export const MAX_PASSWORD_LENGTH = 1024;

export function hashPassword(password: string): Promise<string> {
	return hash(password, ARGON2_PARAMS);
}

let dummy: Promise<string> | undefined;

/**
 * Whether `password` matches the PHC string `stored`. Without a stored hash (unknown user) a
 * dummy hash is checked all the same, so the answer takes as long and tells nothing.
 */
export async function verifyPassword(stored: string | undefined, password: string): Promise<boolean> {
	dummy ??= hashPassword('sealdrop: no such user');
	const target = stored ?? (await dummy);
	let ok: boolean;
	try {
		ok = await verify(target, password);
	} catch {
		// A malformed stored hash: nobody can log in with it.
		ok = false;
	}
	return ok && stored !== undefined;
}

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{43,}$/;

/** True if a stored hash is Argon2id with at least today's parameters (start-up refuses others). */
export function hashMeetsPolicy(stored: string): boolean {
	const match = PHC.exec(stored);
	if (!match) return false;
	const [memory, passes] = [Number(match[1]), Number(match[2])];
	return memory >= ARGON2_PARAMS.memoryCost && passes >= ARGON2_PARAMS.timeCost;
}
