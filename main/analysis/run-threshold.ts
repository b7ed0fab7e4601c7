// The decision threshold a run chose on its own validation split, scoring that split first when it has no scores.
import { UnmaskError } from '../engine/errors.js';
import type { RunStore } from '../store/index.js';
import { chooseRunThreshold, type RunThreshold } from './evaluation-metrics.js';
import { scoreRun } from './score.js';

/**
 * The run's threshold, from its own validation scores (its best checkpoint on its own val split). When it has
 * none, they are scored now from the run's dataset (they are the run's own scores, so they are saved); when
 * that cannot be done either (folder gone or changed, one class only), says why instead.
 */
export async function runThreshold(
  store: RunStore,
  runId: number,
  options: { signal?: AbortSignal } = {},
): Promise<{ threshold: RunThreshold } | { missing: string }> {
  let rows = store.getScores(runId, 'val');
  if (rows.length === 0) {
    try {
      await scoreRun(store, runId, { split: 'val', signal: options.signal });
    } catch (error) {
      if (!(error instanceof UnmaskError) || error.code === 'CANCELLED' || error.code === 'INTERNAL') throw error;
      return { missing: `run ${runId} has no validation scores to choose a threshold on, and they cannot be scored now: ${error.message}` };
    }
    rows = store.getScores(runId, 'val');
  }
  const threshold = chooseRunThreshold(
    rows.map((r) => r.label),
    rows.map((r) => r.probs[1]),
  );
  return threshold ? { threshold } : { missing: `run ${runId}'s validation scores hold one class only: no threshold can be chosen on them` };
}
