import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		// A single-page app: the Hono server serves build/ and answers unknown paths with 200.html.
		adapter: adapter({ pages: 'build', assets: 'build', fallback: '200.html', strict: true }),
		// Registered by src/lib/service-worker/sw-sink.ts with scope /_download/ only: a worker in front
		// of every request would also see (and make the browser keep) every uploaded part.
		serviceWorker: { register: false },
		typescript: {
			config(tsconfig) {
				tsconfig.include.push('../server/**/*.ts', '../tests/**/*.ts', '../cli/**/*.ts');
				return tsconfig;
			}
		}
	}
};

export default config;
