// Detector metrics over number arrays (label 1 = fake = positive): entry point re-exporting the analysis modules, plus summarize().
import { averagePrecision, eer, rocAuc } from './curves.js';
import type { MetricSummary } from './metric-types.js';
import { confusionAt, perClassFromConfusion } from './thresholds.js';
import { checkBothClasses, checkThreshold, type Vector } from './validate.js';

export * from './bootstrap.js';
export * from './curves.js';
export * from './probit.js';
export * from './thresholds.js';
export type { LabelCounts, Vector } from './validate.js';
export type { MetricSummary } from './metric-types.js';

/**
 * The standard metric set at one decision threshold (default 0.5, predict fake when score >= threshold).
 * Needs both classes (throws BAD_ARGUMENT otherwise). Pick a non-default threshold on validation data with
 * chooseThreshold and pass it here for test data.
 */
export function summarize(labels: Vector, scores: Vector, threshold = 0.5): MetricSummary {
  checkThreshold(threshold);
  const { positives, negatives } = checkBothClasses(labels, scores, 'summarize');
  const confusion = confusionAt(labels, scores, threshold);
  const e = eer(labels, scores);
  return {
    n: labels.length,
    positives,
    negatives,
    auc: rocAuc(labels, scores),
    ap: averagePrecision(labels, scores),
    eer: e.eer,
    eerThreshold: e.threshold,
    threshold,
    accuracy: (confusion.tp + confusion.tn) / labels.length,
    confusion,
    perClass: perClassFromConfusion(confusion),
  };
}
