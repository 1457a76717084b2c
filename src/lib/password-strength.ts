import { m } from './paraglide/messages.js';

/**
 * A rough strength hint for a share password, from its length and the kinds of characters in
 * it. Anyone who holds the link can test guesses offline (at one Argon2id per guess), so the
 * hint asks for length rather than symbols.
 */
export interface Strength {
	/** 0 empty, 1 weak, 2 fair, 3 good, 4 strong */
	score: 0 | 1 | 2 | 3 | 4;
	label: string;
	advice: string;
}

/** Estimated bits: length × log2(size of the alphabets used), discounted for repetition. */
export function estimateBits(password: string): number {
	const chars = [...password];
	if (chars.length === 0) return 0;
	let pool = 0;
	if (/[a-z]/.test(password)) pool += 26;
	if (/[A-Z]/.test(password)) pool += 26;
	if (/[0-9]/.test(password)) pool += 10;
	if (/[^A-Za-z0-9]/.test(password)) pool += 33;
	// Repeated characters add little: count distinct ones at full weight, the rest at a quarter.
	const distinct = new Set(chars).size;
	const effective = distinct + (chars.length - distinct) / 4;
	return effective * Math.log2(Math.max(pool, 2));
}

export function passwordStrength(password: string): Strength {
	const bits = estimateBits(password);
	if (bits === 0) return { score: 0, label: '', advice: '' };
	if (bits < 40) return { score: 1, label: m.strength_weak(), advice: m.strength_weak_advice() };
	if (bits < 60) return { score: 2, label: m.strength_fair(), advice: m.strength_fair_advice() };
	if (bits < 80) return { score: 3, label: m.strength_good(), advice: m.strength_good_advice() };
	return { score: 4, label: m.strength_strong(), advice: m.strength_strong_advice() };
}
