import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default ts.config(
	{ ignores: ['build/', 'dist/', '.svelte-kit/', 'data/', 'bench-results/', 'test-results/', 'playwright-report/'] },
	js.configs.recommended,
	...ts.configs.recommended,
	...svelte.configs.recommended,
	{
		languageOptions: { globals: { ...globals.browser, ...globals.node } },
		rules: {
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }]
		}
	},
	// Layering (CONTRIBUTING.md): the crypto core stands alone; use cases never see HTTP.
	{
		files: ['src/lib/crypto/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{ patterns: [{ group: ['../*', '$lib/*', '$app/*', 'svelte', 'svelte/*'], message: 'The crypto core imports nothing outside src/lib/crypto.' }] }
			]
		}
	},
	{
		files: ['server/shares/**', 'server/accounts/**', 'server/stores/**', 'server/sweeper.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{ patterns: [{ group: ['hono', 'hono/*', '@hono/*', '../http/*', '../routes/*'], message: 'Use cases and stores take plain values: HTTP stays in server/http and server/routes.' }] }
			]
		}
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts'],
		languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'], svelteConfig } }
	}
);
