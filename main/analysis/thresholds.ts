// Decisions at a threshold (confusion matrix, accuracy) and choosing a threshold on validation data.
import { UnmaskError } from '../engine/errors.js';
import { eer, thresholdCounts } from './curves.js';
import { checkLabels, checkPair, checkThreshold, type Vector } from './validate.js';
import type { Confusion, PerClassAccuracy } from './metric-types.js';

export type { Confusion, PerClassAccuracy } from './metric-types.js';

/** How {@link chooseThreshold} picks: equal error rate, Youden's J = TPR - FPR, or plain accuracy. */
export type ThresholdRule = 'eer' | 'youden' | 'accuracy';

/** An operating point: the threshold and the rates it gives on the data it was chosen on. */
export interface OperatingPoint {
  /** Predict fake when score >= threshold (+Infinity = predict nothing fake). */
  threshold: number;
  fpr: number;
  tpr: number;
}

/** Hard predictions: 1 (fake) when score >= threshold, else 0. The `>=` matches scikit-learn's ROC thresholds. */
export function predict(scores: Vector, threshold: number): Uint8Array {
  checkThreshold(threshold);
  const out = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (!Number.isFinite(s)) throw new UnmaskError('BAD_ARGUMENT', `scores[${i}] is ${String(s)}; scores must be finite numbers`);
    out[i] = s >= threshold ? 1 : 0;
  }
  return out;
}

/**
 * Confusion matrix of 0/1 predictions against 0/1 labels; same cells as scikit-learn
 * `confusion_matrix(y, pred, labels=[0, 1]).ravel()` = (tn, fp, fn, tp). One class alone is fine here.
 */
export function confusionMatrix(labels: Vector, predictions: Vector): Confusion {
  if (labels.length !== predictions.length) {
    throw new UnmaskError('BAD_ARGUMENT', `labels and predictions differ in length (${labels.length} vs ${predictions.length})`);
  }
  checkLabels(labels);
  checkLabels(predictions, 'predictions');
  const c: Confusion = { tn: 0, fp: 0, fn: 0, tp: 0 };
  for (let i = 0; i < labels.length; i++) {
    const fake = predictions[i] === 1;
    if (labels[i] === 1) {
      if (fake) c.tp++;
      else c.fn++;
    } else if (fake) c.fp++;
    else c.tn++;
  }
  return c;
}

/** Confusion matrix when predicting fake for score >= threshold. */
export function confusionAt(labels: Vector, scores: Vector, threshold: number): Confusion {
  checkPair(labels, scores);
  return confusionMatrix(labels, predict(scores, threshold));
}

/** Fraction correct when predicting fake for score >= threshold (scikit-learn `accuracy_score` of those predictions). */
export function accuracyAt(labels: Vector, scores: Vector, threshold: number): number {
  const c = confusionAt(labels, scores, threshold);
  return (c.tp + c.tn) / labels.length;
}

/** Per-class accuracy from a confusion matrix (the diagonal of the row-normalised matrix). */
export function perClassFromConfusion(c: Confusion): PerClassAccuracy {
  return {
    real: c.tn + c.fp === 0 ? null : c.tn / (c.tn + c.fp),
    fake: c.tp + c.fn === 0 ? null : c.tp / (c.tp + c.fn),
  };
}

/** Accuracy within each class when predicting fake for score >= threshold (default 0.5). */
export function perClassAccuracy(labels: Vector, scores: Vector, threshold = 0.5): PerClassAccuracy {
  return perClassFromConfusion(confusionAt(labels, scores, threshold));
}

/** The full (no points dropped) list of operating points, thresholds[0] = +Infinity. */
function operatingPoints(labels: Vector, scores: Vector, metric: string): { fps: number[]; tps: number[]; thresholds: number[] } {
  const c = thresholdCounts(labels, scores, metric);
  return { fps: [0, ...c.fps], tps: [0, ...c.tps], thresholds: [Infinity, ...c.thresholds] };
}

/**
 * Operating point for a target rate, read off the full ROC (every distinct score is a candidate threshold):
 * `{maxFpr}` → the lowest threshold whose FPR <= maxFpr (highest TPR within the false-alarm budget, e.g.
 * "TPR at 1% FPR"); `{minTpr}` → the highest threshold whose TPR >= minTpr (fewest false alarms reaching that
 * recall). The threshold is +Infinity when only predicting nothing fake satisfies the target.
 */
export function thresholdForTarget(labels: Vector, scores: Vector, target: { maxFpr: number } | { minTpr: number }): OperatingPoint {
  const { fps, tps, thresholds } = operatingPoints(labels, scores, 'thresholdForTarget');
  const n = fps[fps.length - 1]!;
  const p = tps[tps.length - 1]!;
  const [name, value] = 'maxFpr' in target ? ['maxFpr', target.maxFpr] : ['minTpr', target.minTpr];
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new UnmaskError('BAD_ARGUMENT', `${name} must be a rate in [0, 1], got ${String(value)}`);
  }
  let i = 0;
  if (name === 'maxFpr') while (i + 1 < fps.length && fps[i + 1]! / n <= value) i++;
  else while (tps[i]! / p < value) i++;
  return { threshold: thresholds[i]!, fpr: fps[i]! / n, tpr: tps[i]! / p };
}

/**
 * Picks a decision threshold on validation data, to be applied unchanged to test data (choosing on test
 * would leak). Predict fake when score >= threshold.
 * - 'eer': the {@link eer} threshold (interpolated at the FPR = FNR crossing).
 * - 'youden': maximises Youden's J = TPR - FPR (Youden, Cancer 3(1), 1950) over the validation scores.
 * - 'accuracy': maximises (TP + TN) / n over the validation scores.
 * For 'youden' and 'accuracy' the candidates are the distinct validation scores (scikit-learn's ROC
 * thresholds without +Infinity, so the result is always finite); ties go to the highest threshold.
 */
export function chooseThreshold(valLabels: Vector, valScores: Vector, rule: ThresholdRule): number {
  if (rule === 'eer') return eer(valLabels, valScores).threshold;
  if (rule !== 'youden' && rule !== 'accuracy') {
    throw new UnmaskError('BAD_ARGUMENT', `unknown threshold rule '${String(rule)}'; choose eer, youden or accuracy`);
  }
  const { fps, tps, thresholds } = operatingPoints(valLabels, valScores, `chooseThreshold('${rule}')`);
  const n = fps[fps.length - 1]!;
  const p = tps[tps.length - 1]!;
  // Both objectives in exact integer counts (J scaled by P * N), so ties are real ties.
  const score = (i: number): number => (rule === 'youden' ? tps[i]! * n - fps[i]! * p : tps[i]! + (n - fps[i]!));
  let best = 1;
  for (let i = 2; i < thresholds.length; i++) if (score(i) > score(best)) best = i;
  return thresholds[best]!;
}
