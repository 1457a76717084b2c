/** User names: lower-case ASCII, so that look-alike names cannot coexist. */
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The canonical form of a user name, or undefined if it is not a valid one. */
export function parseUserName(text: string): string | undefined {
	const name = text.trim().toLowerCase();
	return NAME.test(name) ? name : undefined;
}

export const USER_NAME_RULE = '1–64 characters: letters, digits, ".", "_" or "-", starting with a letter or digit';
