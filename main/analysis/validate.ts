// Input checks shared by the metric functions: equal lengths, 0/1 labels, finite scores, both classes present.
import { UnmaskError } from '../engine/errors.js';

/** A read-only numeric vector: a plain array, a typed array (Float64Array, Uint8Array, ...) or any array-like. */
export type Vector = ArrayLike<number>;

/** Class counts of a validated label vector. */
export interface LabelCounts {
  /** Number of positives (label 1 = fake). */
  positives: number;
  /** Number of negatives (label 0 = real). */
  negatives: number;
}

const bad = (message: string): UnmaskError => new UnmaskError('BAD_ARGUMENT', message);

/**
 * Checks that labels are all 0 or 1 and non-empty; returns the class counts.
 * Throws UnmaskError('BAD_ARGUMENT') naming the first offending index.
 */
export function checkLabels(labels: Vector, what = 'labels'): LabelCounts {
  if (labels.length === 0) throw bad(`${what} is empty; metrics need at least one sample`);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y === 1) positives++;
    else if (y !== 0) throw bad(`${what}[${i}] is ${String(y)}; labels must be 0 (real) or 1 (fake)`);
  }
  return { positives, negatives: labels.length - positives };
}

/**
 * Checks a label/score pair: same non-zero length, 0/1 labels, finite scores (NaN and ±Infinity are
 * refused, as scikit-learn's assert_all_finite does). Returns the class counts.
 */
export function checkPair(labels: Vector, scores: Vector, what = 'scores'): LabelCounts {
  if (labels.length !== scores.length) {
    throw bad(`labels and ${what} differ in length (${labels.length} vs ${scores.length})`);
  }
  const counts = checkLabels(labels);
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (typeof s !== 'number' || !Number.isFinite(s)) throw bad(`${what}[${i}] is ${String(s)}; ${what} must be finite numbers`);
  }
  return counts;
}

/** As {@link checkPair}, and also requires both classes, which every ranking metric (ROC, AP, EER, DET) needs. */
export function checkBothClasses(labels: Vector, scores: Vector, metric: string): LabelCounts {
  const counts = checkPair(labels, scores);
  if (counts.positives === 0 || counts.negatives === 0) {
    const only = counts.positives === 0 ? 'real (0)' : 'fake (1)';
    throw bad(`${metric} needs both classes, but every label is ${only} (${labels.length} samples)`);
  }
  return counts;
}

/** Checks a decision threshold is a number (±Infinity allowed: predict all fake / all real). */
export function checkThreshold(threshold: number): void {
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) throw bad(`threshold is ${String(threshold)}; it must be a number`);
}
