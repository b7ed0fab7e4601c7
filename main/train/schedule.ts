// Learning-rate schedules: constant, or cosine decay after a linear warm-up (Loshchilov & Hutter, SGDR, ICLR 2017).
import type { LrSchedule } from './recipe-types.js';

export { LR_SCHEDULES, type LrSchedule } from './recipe-types.js';

export interface ScheduleConfig {
  schedule: LrSchedule;
  /** The peak rate (the request's lr). */
  lr: number;
  epochs: number;
  /** Epochs of linear warm-up from lr / steps-per-epoch to lr (0 = none). */
  warmupEpochs: number;
}

/**
 * The rate of the step that ends at `t` epochs into training (t = epoch + (batch + 1) / batches, so the
 * first step of a warm-up already moves). Cosine decays from lr after the warm-up to 0 at the last step.
 * A pure function of t, so a resumed run steps with exactly the rates of an uninterrupted one.
 */
export function learningRateAt(config: ScheduleConfig, t: number): number {
  const { lr, epochs, warmupEpochs } = config;
  if (warmupEpochs > 0 && t < warmupEpochs) return (lr * t) / warmupEpochs;
  if (config.schedule === 'constant') return lr;
  const span = Math.max(epochs - warmupEpochs, 1e-9);
  const done = Math.min(Math.max((t - warmupEpochs) / span, 0), 1);
  return 0.5 * lr * (1 + Math.cos(Math.PI * done));
}
