import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default ts.config(
	{
		ignores: [
			'src/lib/paraglide/',
			'build/',
			'dist/',
			'.svelte-kit/',
			'data/',
			'bench-results/',
			'test-results/',
			'playwright-report/',
			'packages/cli/sealdrop.mjs'
		]
	},
	js.configs.recommended,
	...ts.configs.recommended,
	...svelte.configs.recommended,
	{
		languageOptions: { globals: { ...globals.browser, ...globals.node } },
		rules: {
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }]
		}
	},
	// Type-aware rules for what this code is prone to: a promise nobody awaits (a write that may
	// fail unseen), a promise where a callback's result is ignored, a switch that misses a state.
	{
		files: ['**/*.ts', '**/*.svelte'],
		languageOptions: {
			parserOptions: {
				projectService: { allowDefaultProject: ['src/service-worker.ts'] },
				tsconfigRootDir: import.meta.dirname,
				extraFileExtensions: ['.svelte']
			}
		},
		rules: {
			'@typescript-eslint/no-floating-promises': 'error',
			'@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
			'@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }]
		}
	},
	// Layering (CONTRIBUTING.md): the crypto core stands alone; use cases never see HTTP.
	{
		files: ['src/lib/crypto/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['../*', '$lib/*', '$app/*', 'svelte', 'svelte/*'],
							message: 'The crypto core imports nothing outside src/lib/crypto.'
						}
					]
				}
			]
		}
	},
	{
		files: ['server/shares/**', 'server/accounts/**', 'server/stores/**', 'server/sweeper.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['hono', 'hono/*', '@hono/*', '../http/*', '../routes/*'],
							message: 'Use cases and stores take plain values: HTTP stays in server/http and server/routes.'
						}
					]
				}
			]
		}
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts'],
		languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'], svelteConfig } }
	}
);
