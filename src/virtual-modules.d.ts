// Made by scripts/lazy-locales.ts: one loader per language whose messages come separately.
declare module 'virtual:sealdrop-locale-loaders' {
	const loaders: Record<string, () => Promise<{ default: Record<string, (inputs: unknown) => string> }>>;
	export default loaders;
}
