// A linear head fitted in closed form on cached features: ridge regression in its dual form (n training rows ≪
// d features), its strength chosen on validation AUC, its scores calibrated to probabilities on validation.
import * as tf from '@tensorflow/tfjs';
import { rocAuc } from '../analysis/curves.js';
import { UnmaskError } from '../engine/errors.js';

/** Ridge strengths tried, as multiples of the mean eigenvalue of the training kernel (trace(K) / n): scale-free. */
export const RIDGE_STRENGTHS: readonly number[] = [10, 3, 1, 0.3, 0.1, 0.03, 0.01, 0.001];

/** Feature rows of one split: `n` images × `views` rows of `dim` values (row-major), and each image's label. */
export interface FeatureRows {
  x: Float32Array;
  n: number;
  views: number;
  dim: number;
  labels: ArrayLike<number>;
}

export interface RidgeFit {
  /** The score of a feature row z is z · w + bias (about −1 for real, +1 for fake). */
  w: Float32Array;
  bias: number;
  /** The chosen strength (a multiple of the mean kernel eigenvalue) and λ itself. */
  strength: number;
  lambda: number;
  /** Validation AUC (scores averaged over each image's views) of every strength tried, strongest first. */
  path: { strength: number; valAuc: number }[];
  /** P(fake) = sigmoid(scale · score + offset), fitted on the validation rows (Platt scaling). */
  scale: number;
  offset: number;
}

/**
 * Solves (K + λI) α = y for a symmetric positive semi-definite n × n matrix K (row-major) by a Cholesky
 * factorisation of K + λI (λ > 0 keeps it positive definite).
 */
export function solveShifted(K: Float64Array, n: number, lambda: number, y: Float64Array): Float64Array {
  if (K.length !== n * n || y.length !== n) throw new RangeError(`solveShifted: K must be ${n}×${n} and y ${n} long`);
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = K[i * n + j]! + (i === j ? lambda : 0);
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (!(s > 0))
          throw new UnmaskError('INTERNAL', `ridge system is not positive definite at row ${i} (λ = ${lambda}): the features hold NaN or λ is too small`);
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j]!;
    }
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = y[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * z[k]!;
    z[i] = s / L[i * n + i]!;
  }
  const a = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * a[k]!;
    a[i] = s / L[i * n + i]!;
  }
  return a;
}

/**
 * Logistic calibration P = sigmoid(scale · s + offset) of scores `s` with 0/1 labels: Newton's method on the mean
 * log loss (a tiny L2 term keeps it finite when the scores separate the classes).
 */
export function plattScale(scores: ArrayLike<number>, labels: ArrayLike<number>): { scale: number; offset: number } {
  let a = 1;
  let c = 0;
  const m = scores.length;
  const l2 = 1e-4;
  for (let iter = 0; iter < 50; iter++) {
    let ga = l2 * a;
    let gc = 0;
    let haa = l2;
    let hac = 0;
    let hcc = 1e-9;
    for (let i = 0; i < m; i++) {
      const s = scores[i]!;
      const p = 1 / (1 + Math.exp(-(a * s + c)));
      const r = (p - labels[i]!) / m;
      const h = (p * (1 - p)) / m;
      ga += r * s;
      gc += r;
      haa += h * s * s;
      hac += h * s;
      hcc += h;
    }
    const det = haa * hcc - hac * hac;
    const da = (hcc * ga - hac * gc) / det;
    const dc = (haa * gc - hac * ga) / det;
    a -= da;
    c -= dc;
    if (Math.abs(da) + Math.abs(dc) < 1e-10) break;
  }
  return { scale: a, offset: c };
}

/** The score K_cross · α + t̄ of every validation view (row r of `cross` against the n training rows). */
function viewScores(cross: Float64Array, views: number, n: number, alpha: Float64Array, mean: number): Float64Array {
  const out = new Float64Array(views);
  for (let r = 0; r < views; r++) {
    let dot = mean;
    for (let k = 0; k < n; k++) dot += cross[r * n + k]! * alpha[k]!;
    out[r] = dot;
  }
  return out;
}

/** Per-image scores: the mean of each image's view scores. */
function imageScores(scores: Float64Array, rows: FeatureRows): Float64Array {
  return Float64Array.from({ length: rows.n }, (_, i) => scores.subarray(i * rows.views, (i + 1) * rows.views).reduce((s, v) => s + v, 0) / rows.views);
}

/**
 * Fits w, bias minimising Σ (z_i · w + bias − t_i)² + λ |w|² over the training rows (t = −1 real, +1 fake),
 * for each of RIDGE_STRENGTHS, and keeps the strength with the best validation AUC (a tie keeps the stronger).
 * Dual form: with the rows centred, α = (K + λI)⁻¹ (t − t̄) and w = Zᵀα, so the cost is one n × n kernel and a
 * Cholesky solve per strength, whatever the feature count.
 */
export function fitRidge(train: FeatureRows, val: FeatureRows): RidgeFit {
  if (train.dim !== val.dim) throw new RangeError(`fitRidge: train rows have ${train.dim} features, val rows ${val.dim}`);
  const rows = train.n * train.views;
  const targets = new Float64Array(rows);
  for (let i = 0; i < train.n; i++) for (let v = 0; v < train.views; v++) targets[i * train.views + v] = train.labels[i] ? 1 : -1;
  const tMean = targets.reduce((s, t) => s + t, 0) / rows;
  if (Math.abs(tMean) === 1) throw new UnmaskError('DATASET_INVALID', 'the ridge head needs real and fake training images; one class is missing');
  const centred = targets.map((t) => t - tMean);
  // The centred training rows stay on the engine until w = Zcᵀα is read back.
  const [K, cross, colMean, zc] = tf.tidy(() => {
    const z = tf.tensor2d(train.x, [rows, train.dim]);
    const mu = tf.mean(z, 0, true);
    const centredRows = tf.sub(z, mu);
    const zv = tf.sub(tf.tensor2d(val.x, [val.n * val.views, val.dim]), mu);
    return [tf.matMul(centredRows, centredRows, false, true), tf.matMul(zv, centredRows, false, true), mu, centredRows];
  });
  const kernel = Float64Array.from(K.dataSync());
  const crossValues = Float64Array.from(cross.dataSync());
  tf.dispose([K, cross]);
  let trace = 0;
  for (let i = 0; i < rows; i++) trace += kernel[i * rows + i]!;
  const meanEig = trace / rows;
  const path: RidgeFit['path'] = [];
  const valViews = val.n * val.views;
  let best: { strength: number; alpha: Float64Array; valAuc: number; scores: Float64Array } | null = null;
  for (const strength of RIDGE_STRENGTHS) {
    const alpha = solveShifted(kernel, rows, strength * meanEig, centred);
    const scores = viewScores(crossValues, valViews, rows, alpha, tMean);
    const valAuc = rocAuc(Array.from(val.labels), imageScores(scores, val));
    path.push({ strength, valAuc });
    if (!best || valAuc > best.valAuc) best = { strength, alpha, valAuc, scores };
  }
  const chosen = best!;
  const [wT, muW] = tf.tidy(() => {
    const wRow = tf.matMul(tf.tensor2d(Float32Array.from(chosen.alpha), [1, rows]), zc);
    return [wRow, tf.sum(tf.mul(colMean, wRow))];
  });
  const w = wT.dataSync() as Float32Array;
  const bias = tMean - muW.dataSync()[0]!;
  tf.dispose([wT, muW, colMean, zc]);
  // Calibrated on every validation view (each carries its image's label), as the probabilities are averaged per view.
  const viewLabels = Float64Array.from({ length: valViews }, (_, r) => val.labels[Math.floor(r / val.views)]!);
  const { scale, offset } = plattScale(chosen.scores, viewLabels);
  return { w, bias, strength: chosen.strength, lambda: chosen.strength * meanEig, path, scale, offset };
}

/**
 * Writes a fit into a Dense layer with 2 units (real, fake logits): logits ±u/2 with u = scale · score + offset,
 * so softmax's fake column is sigmoid(u).
 */
export function setRidgeHead(dense: tf.layers.Layer, fit: RidgeFit): void {
  const [kernel] = dense.getWeights();
  const d = fit.w.length;
  if (!kernel || kernel.shape[0] !== d || kernel.shape[1] !== 2) throw new RangeError(`${dense.name}: expected a [${d}, 2] kernel, got [${kernel?.shape}]`);
  const k = new Float32Array(d * 2);
  for (let j = 0; j < d; j++) {
    const half = (fit.scale * fit.w[j]!) / 2;
    k[2 * j] = -half;
    k[2 * j + 1] = half;
  }
  const u = fit.scale * fit.bias + fit.offset;
  const values = [tf.tensor2d(k, [d, 2]), tf.tensor1d([-u / 2, u / 2])];
  dense.setWeights(values);
  tf.dispose(values);
}
