import { firstPaintPhase } from './first-paint.ts';
import { serverScalePhase } from './server-scale.ts';
import { streamingPhase } from './streaming.ts';

/** Bench phases that start their own server (from the build `run.ts` has just made). */
export const PHASES: Record<string, () => Promise<unknown>> = {
	'first-paint': () => firstPaintPhase(),
	'server-scale': () => serverScalePhase(),
	streaming: () => streamingPhase()
};

/** Runs the named phases (all by default) one after another. */
export async function runPhases(names: string[] = Object.keys(PHASES)): Promise<void> {
	for (const name of names) {
		const phase = PHASES[name];
		if (!phase) throw new Error(`no bench phase "${name}" (phases: ${Object.keys(PHASES).join(', ')})`);
		await phase();
	}
}
