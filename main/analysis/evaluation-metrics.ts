// The metrics an evaluation records: threshold-free ones (AUC with a bootstrap interval, AP, EER) and accuracy at
// 0.5 and at the threshold the run chose on its own validation split.
import { bootstrapAucInterval } from './bootstrap.js';
import { averagePrecision, eer, rocAuc } from './curves.js';
import { chooseThreshold, confusionAt, perClassFromConfusion, type Confusion, type PerClassAccuracy, type ThresholdRule } from './thresholds.js';

/** Decisions at one threshold: predict fake when P(fake) >= threshold. */
export interface ThresholdMetrics {
  threshold: number;
  /** 0–1. */
  accuracy: number;
  confusion: Confusion;
  perClass: PerClassAccuracy;
}

/** The decision threshold a run chose on its own validation scores. */
export interface RunThreshold {
  threshold: number;
  /** How it was chosen: the threshold with the highest validation accuracy. */
  rule: ThresholdRule;
  /** Always the run's own validation split (choosing on the data being evaluated would leak). */
  chosenOn: 'val';
  /** Validation images it was chosen on. */
  n: number;
}

/** The rule {@link chooseRunThreshold} applies: the reported figure is accuracy, so the threshold maximises it. */
export const RUN_THRESHOLD_RULE: ThresholdRule = 'accuracy';

/** What an evaluation stores as its metrics; AUC-type fields are null when the images hold one class only. */
export interface EvaluationMetrics {
  n: number;
  positives: number;
  negatives: number;
  auc: number | null;
  /** Stratified percentile bootstrap of the AUC (see bootstrapAucInterval). */
  aucInterval: { low: number; high: number; level: number; samples: number; seed: number } | null;
  ap: number | null;
  eer: number | null;
  eerThreshold: number | null;
  atHalf: ThresholdMetrics;
  /** At the run's own validation-chosen threshold; null when it has none (see runThresholdMissing). */
  atRunThreshold: ThresholdMetrics | null;
  runThreshold: RunThreshold | null;
  /** Why the run has no threshold of its own (no validation scores could be had). */
  runThresholdMissing: string | null;
}

/** Bootstrap settings of the AUC interval. */
export interface IntervalOptions {
  samples: number;
  seed: number;
}

export const DEFAULT_INTERVAL: IntervalOptions = { samples: 1000, seed: 0 };

function at(labels: readonly number[], scores: readonly number[], threshold: number): ThresholdMetrics {
  const confusion = confusionAt(labels, scores, threshold);
  return { threshold, accuracy: (confusion.tp + confusion.tn) / labels.length, confusion, perClass: perClassFromConfusion(confusion) };
}

/** The run's threshold from its own validation labels and P(fake) scores; null when they hold one class only. */
export function chooseRunThreshold(labels: readonly number[], scores: readonly number[]): RunThreshold | null {
  if (!labels.includes(0) || !labels.includes(1)) return null;
  return { threshold: chooseThreshold(labels, scores, RUN_THRESHOLD_RULE), rule: RUN_THRESHOLD_RULE, chosenOn: 'val', n: labels.length };
}

/**
 * Every metric of an evaluation (label 1 = fake = positive, scores = P(fake)), at least one image. With one class
 * only, accuracy is still defined but ROC-based figures are not, and are null.
 */
export function evaluationMetrics(
  labels: readonly number[],
  scores: readonly number[],
  run: { threshold: RunThreshold } | { missing: string },
  interval: IntervalOptions = DEFAULT_INTERVAL,
): EvaluationMetrics {
  const positives = labels.filter((l) => l === 1).length;
  const both = positives > 0 && positives < labels.length;
  const e = both ? eer(labels, scores) : null;
  const threshold = 'threshold' in run ? run.threshold : null;
  return {
    n: labels.length,
    positives,
    negatives: labels.length - positives,
    auc: both ? rocAuc(labels, scores) : null,
    aucInterval: both ? { ...bootstrapAucInterval(labels, scores, interval), level: 0.95, ...interval } : null,
    ap: both ? averagePrecision(labels, scores) : null,
    eer: e?.eer ?? null,
    eerThreshold: e?.threshold ?? null,
    atHalf: at(labels, scores, 0.5),
    atRunThreshold: threshold ? at(labels, scores, threshold.threshold) : null,
    runThreshold: threshold,
    runThresholdMissing: 'missing' in run ? run.missing : null,
  };
}
