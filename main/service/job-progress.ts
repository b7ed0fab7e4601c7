// A training job's progress as the UI shows it: the share of the whole job done, and an ETA from the measured rate.
import type { JobProgress } from '../api/contract.js';
import type { PhaseProgress } from '../worker/protocol.js';

/** A job that has not started. */
export const IDLE_PROGRESS: JobProgress = {
  phase: 'queued',
  epoch: 0,
  epochs: 0,
  done: 0,
  total: 0,
  fraction: 0,
  etaSeconds: null,
  imgPerSec: null,
  runningLoss: null,
  runningAccuracy: null,
};

/**
 * Share of the whole job done, from the phase in progress: the feature pass (frozen backbones) counts as one
 * epoch's worth, each epoch splits train 80 % / val 10 % / test 10 %, and scoring is the last 2 %.
 */
export function jobFraction(p: PhaseProgress, frozen: boolean): number {
  const within = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const epochs = Math.max(1, p.epochs);
  const units = epochs + (frozen ? 1 : 0);
  const trainingShare = 0.98;
  const epochStart = (e: number) => ((frozen ? 1 : 0) + e - 1) / units;
  switch (p.phase) {
    case 'features':
      return (trainingShare * within) / units;
    case 'train':
      return trainingShare * (epochStart(p.epoch) + (0.8 * within) / units);
    case 'val':
      return trainingShare * (epochStart(p.epoch) + (0.8 + 0.1 * within) / units);
    case 'test':
      return trainingShare * (epochStart(p.epoch) + (0.9 + 0.1 * within) / units);
    case 'score':
      return trainingShare + (1 - trainingShare) * within;
    case 'done':
      return 1;
    default:
      return 0;
  }
}

/** Turns a job's phase progress into its whole-job progress: a fraction that never goes back, and an ETA. */
export class ProgressClock {
  /** Fraction at the time the rate was first measurable, to leave start-up (scan, weights) out of the ETA. */
  private rateFrom: { fraction: number; ms: number } | null = null;

  /** `frozen`: a feature pass counts in the job's fraction (set on the first one seen, too). */
  constructor(private frozen: boolean) {}

  next(previous: JobProgress, p: PhaseProgress, now = Date.now()): JobProgress {
    if (p.phase === 'features') this.frozen = true;
    const fraction = Math.max(previous.fraction, jobFraction(p, this.frozen));
    if (!this.rateFrom && fraction > 0) this.rateFrom = { fraction, ms: now };
    let etaSeconds: number | null = null;
    if (this.rateFrom && fraction > this.rateFrom.fraction + 0.005) {
      const perUnit = (now - this.rateFrom.ms) / 1000 / (fraction - this.rateFrom.fraction);
      etaSeconds = Math.max(0, perUnit * (1 - fraction));
    }
    return { ...p, fraction, etaSeconds };
  }
}
