import type { Failure } from './controllers/failure';
import type { Problem } from './messages';

/**
 * The error catalogue (messages.ts, with every error sentence) is not part of the first views:
 * it loads with the first failure shown. Until then a failure has no Problem, so a page shows
 * the notice only once it can word it (never the bare code); read inside $derived, the notice
 * appears when the catalogue arrives.
 */
let catalogue = $state<typeof import('./messages') | null>(null);
let loading: Promise<unknown> | null = null;

/** The failure in words, or null while the catalogue loads (or when there is no failure). */
export function lazyProblem(failure: Failure | null | undefined): Problem | null {
	if (!failure) return null;
	if (catalogue) return catalogue.describeFailure(failure);
	loading ??= import('./messages').then((loaded) => (catalogue = loaded));
	return null;
}
