/** Hears every new state, starting with the current one. */
export type Listener<T> = (state: T) => void;

/**
 * A controller's state as one immutable snapshot that changes over time. It follows Svelte's store
 * contract (subscribe calls back at once and returns an unsubscribe), so a page reads it as
 * `$controller` and a test reads `controller.state`; the controller itself imports no Svelte.
 */
export class Observable<T extends object> {
	#state: T;
	readonly #listeners = new Set<Listener<T>>();

	/** `derive` recomputes the fields that follow from the others, on every change. */
	constructor(
		initial: T,
		private readonly derive: (state: T) => T = (state) => state
	) {
		this.#state = derive(initial);
	}

	get state(): T {
		return this.#state;
	}

	subscribe(listener: Listener<T>): () => void {
		this.#listeners.add(listener);
		listener(this.#state);
		return () => void this.#listeners.delete(listener);
	}

	/** A new snapshot (never a mutation), so a listener may keep the old one to compare. */
	protected update(patch: Partial<T>): void {
		this.#state = this.derive({ ...this.#state, ...patch });
		for (const listener of this.#listeners) listener(this.#state);
	}
}
