// A local inlang plugin for messages/{locale}.json, so that compiling the catalogue loads no code
// from the network (inlang's own message-format plugin is normally fetched from a CDN).
//
// Format: a flat object of keys. A string value is a pattern where {name} is an input variable.
// An object value is a plural on the input `count`: its keys are Intl.PluralRules categories
// (zero, one, two, few, many, other; `other` is required), each a pattern as above.
// The SDK imports this file from a data: URL, so it imports nothing itself.

const PATH = './messages/{locale}.json';

function parsePattern(text) {
	const pattern = [];
	const names = new Set();
	let rest = text;
	for (;;) {
		const open = rest.indexOf('{');
		if (open === -1) break;
		const close = rest.indexOf('}', open);
		if (close === -1) throw new Error(`Unclosed "{" in message: ${text}`);
		if (open > 0) pattern.push({ type: 'text', value: rest.slice(0, open) });
		const name = rest.slice(open + 1, close).trim();
		if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`Bad variable "{${name}}" in message: ${text}`);
		names.add(name);
		pattern.push({ type: 'expression', arg: { type: 'variable-reference', name } });
		rest = rest.slice(close + 1);
	}
	if (rest) pattern.push({ type: 'text', value: rest });
	return { pattern, names };
}

function serializePattern(pattern) {
	return pattern.map((part) => (part.type === 'text' ? part.value : `{${part.arg.name}}`)).join('');
}

const plugin = {
	key: 'sealdrop.jsonMessages',
	toBeImportedFiles: ({ settings }) => {
		const pathPattern = settings['sealdrop.jsonMessages']?.pathPattern ?? PATH;
		return settings.locales.map((locale) => ({ locale, path: pathPattern.replace('{locale}', locale) }));
	},
	importFiles: ({ files }) => {
		const bundles = new Map();
		const messages = [];
		const variants = [];
		for (const file of files) {
			const json = JSON.parse(new TextDecoder().decode(file.content));
			for (const [key, value] of Object.entries(json)) {
				if (key === '$schema') continue;
				const bundle = bundles.get(key) ?? { id: key, declarations: [] };
				bundles.set(key, bundle);
				const inputs = new Set();
				const message = { bundleId: key, locale: file.locale, selectors: [] };
				if (typeof value === 'string') {
					const { pattern, names } = parsePattern(value);
					names.forEach((n) => inputs.add(n));
					variants.push({ messageBundleId: key, messageLocale: file.locale, matches: [], pattern });
				} else {
					if (typeof value.other !== 'string') throw new Error(`Plural "${key}" (${file.locale}) has no "other"`);
					inputs.add('count');
					message.selectors = [{ type: 'variable-reference', name: 'countPlural' }];
					for (const [category, text] of Object.entries(value)) {
						const { pattern, names } = parsePattern(text);
						names.forEach((n) => inputs.add(n));
						const match =
							category === 'other'
								? { type: 'catchall-match', key: 'countPlural' }
								: { type: 'literal-match', key: 'countPlural', value: category };
						variants.push({ messageBundleId: key, messageLocale: file.locale, matches: [match], pattern });
					}
					const local = {
						type: 'local-variable',
						name: 'countPlural',
						value: {
							type: 'expression',
							arg: { type: 'variable-reference', name: 'count' },
							annotation: { type: 'function-reference', name: 'plural', options: [] }
						}
					};
					if (!bundle.declarations.some((d) => d.name === 'countPlural')) bundle.declarations.push(local);
				}
				for (const name of inputs) {
					if (!bundle.declarations.some((d) => d.name === name)) {
						bundle.declarations.unshift({ type: 'input-variable', name });
					}
				}
				messages.push(message);
			}
		}
		// Plural variants must come after the catch-all-free ones; keep `other` last.
		variants.sort((a, b) => (a.matches[0]?.type === 'catchall-match') - (b.matches[0]?.type === 'catchall-match'));
		return { bundles: [...bundles.values()], messages, variants };
	},
	exportFiles: ({ bundles, messages, variants }) => {
		const byLocale = new Map();
		for (const message of messages) {
			const own = variants.filter((v) => v.messageId === message.id);
			const out = byLocale.get(message.locale) ?? {};
			byLocale.set(message.locale, out);
			if (message.selectors.length === 0) out[message.bundleId] = serializePattern(own[0]?.pattern ?? []);
			else {
				const plural = {};
				for (const v of own) plural[v.matches[0]?.type === 'literal-match' ? v.matches[0].value : 'other'] = serializePattern(v.pattern);
				out[message.bundleId] = plural;
			}
		}
		void bundles;
		return [...byLocale].map(([locale, json]) => ({
			locale,
			name: `${locale}.json`,
			content: new TextEncoder().encode(JSON.stringify(json, null, '\t') + '\n')
		}));
	}
};

export default plugin;
