// Threshold curves (ROC, DET, precision-recall) and the scalars read off them: ROC AUC, average precision, EER.
import { checkBothClasses, type Vector } from './validate.js';

/** Cumulative counts at each distinct score, highest score first (scikit-learn's confusion_matrix_at_thresholds). */
export interface ThresholdCounts {
  /** False positives among samples with score >= thresholds[i]. */
  fps: Float64Array;
  /** True positives among samples with score >= thresholds[i]. */
  tps: Float64Array;
  /** The distinct scores, decreasing. */
  thresholds: Float64Array;
}

/** A ROC curve: point i is the operating point "predict fake when score >= thresholds[i]". */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** Decreasing; thresholds[0] = +Infinity (the predict-nothing point), as scikit-learn >= 1.3 returns. */
  thresholds: number[];
}

/** A DET curve: false positive rate falling, false negative rate rising. */
export interface DetCurve {
  fpr: number[];
  fnr: number[];
  /** Increasing; may end with +Infinity (see {@link detCurve}). */
  thresholds: number[];
}

/** The equal error rate and a score threshold that operates at it. */
export interface EerResult {
  /** FPR (= FNR) where the ROC polyline crosses the line FNR = FPR, i.e. tpr = 1 - fpr. */
  eer: number;
  /** Score threshold interpolated at the crossing; predict fake when score >= threshold. */
  threshold: number;
}

/**
 * Sorts by score (descending) and accumulates true/false positives at every distinct score.
 * Definition: scikit-learn `confusion_matrix_at_thresholds` (formerly `_binary_clf_curve`), unweighted.
 * Throws BAD_ARGUMENT unless both classes are present.
 */
export function thresholdCounts(labels: Vector, scores: Vector, metric = 'this metric'): ThresholdCounts {
  checkBothClasses(labels, scores, metric);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const fps: number[] = [];
  const tps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    tp += labels[i]!;
    const next = order[k + 1];
    if (next === undefined || scores[next]! !== scores[i]!) {
      tps.push(tp);
      fps.push(k + 1 - tp);
      thresholds.push(scores[i]!);
    }
  }
  return { fps: Float64Array.from(fps), tps: Float64Array.from(tps), thresholds: Float64Array.from(thresholds) };
}

/**
 * The receiver operating characteristic, exactly as scikit-learn's `sklearn.metrics.roc_curve`
 * (pos_label = 1, no weights): with `dropIntermediate` (default true, like scikit-learn) points collinear
 * with their neighbours are dropped (second difference of both fps and tps is zero); then (0, 0) is
 * prepended with threshold +Infinity (scikit-learn >= 1.3; older releases used max score + 1).
 * Reference: Fawcett, "An introduction to ROC analysis", Pattern Recognition Letters 27 (2006).
 */
export function rocCurve(labels: Vector, scores: Vector, options: { dropIntermediate?: boolean } = {}): RocCurve {
  const { fps, tps, thresholds } = thresholdCounts(labels, scores, 'ROC curve');
  let keep = Array.from({ length: fps.length }, (_, i) => i);
  if ((options.dropIntermediate ?? true) && fps.length > 2) {
    keep = keep.filter((i) => {
      if (i === 0 || i === fps.length - 1) return true;
      return fps[i + 1]! - 2 * fps[i]! + fps[i - 1]! !== 0 || tps[i + 1]! - 2 * tps[i]! + tps[i - 1]! !== 0;
    });
  }
  const negatives = fps[fps.length - 1]!;
  const positives = tps[tps.length - 1]!;
  return {
    fpr: [0, ...keep.map((i) => fps[i]! / negatives)],
    tpr: [0, ...keep.map((i) => tps[i]! / positives)],
    thresholds: [Infinity, ...keep.map((i) => thresholds[i]!)],
  };
}

/** Trapezoidal area under y(x) (scikit-learn `auc` / numpy `trapezoid`); x must be monotonic. */
export function trapezoid(x: readonly number[], y: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return area;
}

/**
 * Area under the ROC curve: the trapezoid rule over the whole {@link rocCurve} from (0, 0) to (1, 1), as
 * scikit-learn `roc_auc_score` computes it for binary labels. Tied scores form one diagonal step, so this
 * equals the Mann-Whitney U statistic / (P * N) with ties counted as one half.
 */
export function rocAuc(labels: Vector, scores: Vector): number {
  const { fpr, tpr } = rocCurve(labels, scores);
  return trapezoid(fpr, tpr);
}

/**
 * Detection error tradeoff curve, as scikit-learn 1.9's `sklearn.metrics.det_curve` (pos_label = 1):
 * the counts get a leading (0, 0) point at threshold +Infinity; with `dropIntermediate` (default false, as
 * in scikit-learn) points whose tps equal both neighbours' are dropped; the curve is then cut to run from the
 * last point with no false positives to the first with no false negatives, and reversed so FPR falls.
 * The +Infinity threshold survives only when the top score already has a negative among its samples.
 * Plot with {@link probit} axes. Reference: Martin et al., "The DET curve in assessment of detection task
 * performance", Eurospeech 1997.
 */
export function detCurve(labels: Vector, scores: Vector, options: { dropIntermediate?: boolean } = {}): DetCurve {
  const counts = thresholdCounts(labels, scores, 'DET curve');
  let fps = [0, ...counts.fps];
  let tps = [0, ...counts.tps];
  let thresholds = [Infinity, ...counts.thresholds];
  if (options.dropIntermediate && fps.length > 2) {
    const keep = fps.map((_, i) => i === 0 || i === fps.length - 1 || tps[i]! !== tps[i - 1]! || tps[i + 1]! !== tps[i]!);
    fps = fps.filter((_, i) => keep[i]);
    tps = tps.filter((_, i) => keep[i]);
    thresholds = thresholds.filter((_, i) => keep[i]);
  }
  const positives = tps[tps.length - 1]!;
  const negatives = fps[fps.length - 1]!;
  let first = 0;
  while (first + 1 < fps.length && fps[first + 1] === fps[0]) first++;
  const last = tps.indexOf(positives) + 1;
  const fpr: number[] = [];
  const fnr: number[] = [];
  const out: number[] = [];
  for (let i = last - 1; i >= first; i--) {
    fpr.push(fps[i]! / negatives);
    fnr.push((positives - tps[i]!) / positives);
    out.push(thresholds[i]!);
  }
  return { fpr, fnr, thresholds: out };
}

/**
 * Average precision, step-wise (no interpolation): AP = sum_n (R_n - R_{n-1}) P_n over decreasing
 * thresholds, exactly scikit-learn's `average_precision_score` for binary labels.
 */
export function averagePrecision(labels: Vector, scores: Vector): number {
  const { fps, tps } = thresholdCounts(labels, scores, 'average precision');
  const positives = tps[tps.length - 1]!;
  let ap = 0;
  let previousRecall = 0;
  for (let i = 0; i < tps.length; i++) {
    const recall = tps[i]! / positives;
    ap += (recall - previousRecall) * (tps[i]! / (tps[i]! + fps[i]!));
    previousRecall = recall;
  }
  return Math.max(0, ap);
}

/**
 * Equal error rate. Definition: the FPR at which the ROC polyline (linear between operating points,
 * all distinct thresholds kept) crosses FNR = FPR, i.e. the root of 1 - x - tpr(x). This is the value of the
 * common recipe `brentq(lambda x: 1 - x - interp1d(fpr, tpr)(x), 0, 1)` (scipy), solved in closed form
 * instead of iteratively (they agree to brentq's ~1e-12 tolerance). The crossing is unique because
 * fpr + tpr rises strictly along the curve; the test is done in exact integer counts.
 * Threshold: interpolated between the two thresholds of the crossing segment with the same fraction t as the
 * rates, with the leading +Infinity replaced by max score + 1 (scikit-learn < 1.3's convention), so it is
 * always finite; when the crossing falls on an operating point it is that point's score.
 * DeepfakeBench's own utils.py reports the nearest ROC point instead: see {@link eerNearestPoint}.
 */
export function eer(labels: Vector, scores: Vector): EerResult {
  const counts = thresholdCounts(labels, scores, 'EER');
  const fps = [0, ...counts.fps];
  const tps = [0, ...counts.tps];
  const thresholds = [counts.thresholds[0]! + 1, ...counts.thresholds];
  const positives = tps[tps.length - 1]!;
  const negatives = fps[fps.length - 1]!;
  // d_i = (fpr_i + tpr_i - 1) * P * N, exact in integers; d_0 = -P*N < 0 and d_last = P*N > 0.
  const d = (i: number): number => fps[i]! * positives + tps[i]! * negatives - positives * negatives;
  let i = 0;
  while (d(i + 1) < 0) i++;
  const t = -d(i) / (d(i + 1) - d(i));
  return {
    eer: (fps[i]! + t * (fps[i + 1]! - fps[i]!)) / negatives,
    threshold: thresholds[i]! + t * (thresholds[i + 1]! - thresholds[i]!),
  };
}

/**
 * DeepfakeBench's EER (SCLBD/DeepfakeBench training/metrics/utils.py `get_test_metrics`):
 * fpr[nanargmin(|fnr - fpr|)] over scikit-learn's default (drop_intermediate) ROC; the first point wins ties.
 * Coarser than {@link eer}; provided to compare with numbers published with that code.
 */
export function eerNearestPoint(labels: Vector, scores: Vector): number {
  const { fpr, tpr } = rocCurve(labels, scores);
  let best = 0;
  for (let i = 1; i < fpr.length; i++) {
    if (Math.abs(1 - tpr[i]! - fpr[i]!) < Math.abs(1 - tpr[best]! - fpr[best]!)) best = i;
  }
  return fpr[best]!;
}
