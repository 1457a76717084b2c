import type { Failure } from './controllers/failure';
import type { Problem } from './messages';

/**
 * The error catalogue (messages.ts, with every error sentence) and ErrorNotice are not part of the first views:
 * the pages fetch it once they are usable (preloadProblems), or with the first failure shown.
 * Until it is there a failure has no Problem, so a page shows the notice only once it can word
 * it (never the bare code); read inside $derived, the notice appears when the catalogue arrives.
 */
let catalogue = $state<typeof import('./messages') | null>(null);
/** The catalogue could not be fetched (the network dropped): the error's own sentence stands in. */
let unreachable = $state(false);
let loading: Promise<unknown> | null = null;

/** Fetches the catalogue now, before any failure needs it. */
export function preloadProblems(): void {
	// The notice that shows the sentence comes with it (the pages import it where they show one).
	loading ??= Promise.all([import('./messages'), import('./ui/ErrorNotice.svelte')]).then(
		([loaded]) => {
			catalogue = loaded;
			unreachable = false;
		},
		() => {
			loading = null; // asked again by the next failure shown
			unreachable = true;
		}
	);
}

/** The failure in words, or null while the catalogue loads (or when there is no failure). */
export function lazyProblem(failure: Failure | null | undefined): Problem | null {
	if (!failure) return null;
	if (catalogue) return catalogue.describeFailure(failure);
	const wasUnreachable = unreachable;
	preloadProblems();
	if (!wasUnreachable) return null;
	const own = failure.cause instanceof Error ? failure.cause.message : '';
	return { code: failure.code, message: own || failure.code };
}
