// Helpers for sentences that wrap markup (a link, a name in bold) around a part whose position
// differs between languages: the translation places {name}, the page places the element there.

/** A character no translation contains, standing for the markup's place in a sentence. */
export const SLOT = '\u2063';

/** The text before and after the markup's place. */
export function aroundSlot(sentence: string): [string, string] {
	const at = sentence.indexOf(SLOT);
	return at === -1 ? [sentence, ''] : [sentence.slice(0, at), sentence.slice(at + SLOT.length)];
}
