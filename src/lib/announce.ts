import type { Progress } from './transfer/progress';

/**
 * The 10 % step a transfer has reached, for a screen reader's live region: announcing every
 * percent would talk over everything else, so the region's text changes only at each step.
 */
export function progressStep(progress: Pick<Progress, 'done' | 'total'>): number {
	if (progress.total <= 0) return 100;
	return Math.min(100, Math.max(0, Math.floor((progress.done / progress.total) * 10) * 10));
}
