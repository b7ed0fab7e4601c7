// Percentile-bootstrap confidence interval for ROC AUC, stratified by class and seeded for reproducibility.
import { UnmaskError } from '../engine/errors.js';
import { checkBothClasses, type Vector } from './validate.js';

/** Options for {@link bootstrapAucInterval}. */
export interface BootstrapOptions {
  /** Bootstrap replicates (default 1000). */
  samples?: number;
  /** PRNG seed (default 0); the same seed and data give the same interval. */
  seed?: number;
  /** Two-sided coverage (default 0.95 → the 2.5th and 97.5th percentiles). */
  level?: number;
}

/** A confidence interval. */
export interface Interval {
  low: number;
  high: number;
}

/** mulberry32 (Tommy Ettinger, public domain): a tiny 32-bit PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Quantile q of an ascending-sorted array by linear interpolation (numpy's default method, Hyndman & Fan type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Percentile bootstrap interval for ROC AUC (Efron & Tibshirani, An Introduction to the Bootstrap, 1993,
 * ch. 13). Stratified: each replicate draws P positives from the positives and N negatives from the
 * negatives, with replacement, so every replicate has both classes and the class balance of the data.
 * Replicate AUCs use the Mann-Whitney form with ties as one half (= {@link rocAuc}), computed in O(n) per
 * replicate over the scores sorted once. Bounds are the (1 - level)/2 and (1 + level)/2 quantiles of the
 * replicate AUCs (linear interpolation). Deterministic for a given seed (mulberry32).
 */
export function bootstrapAucInterval(labels: Vector, scores: Vector, options: BootstrapOptions = {}): Interval {
  const { samples = 1000, seed = 0, level = 0.95 } = options;
  if (!Number.isInteger(samples) || samples < 1) throw new UnmaskError('BAD_ARGUMENT', `samples must be a positive integer, got ${String(samples)}`);
  if (!(level > 0 && level < 1)) throw new UnmaskError('BAD_ARGUMENT', `level must be in (0, 1), got ${String(level)}`);
  if (!Number.isFinite(seed)) throw new UnmaskError('BAD_ARGUMENT', `seed must be a finite number, got ${String(seed)}`);
  checkBothClasses(labels, scores, 'bootstrap AUC interval');

  // Group ids by ascending distinct score; each sample keeps its group.
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const group = new Int32Array(scores.length);
  let groups = 0;
  order.forEach((i, k) => {
    if (k > 0 && scores[i]! !== scores[order[k - 1]!]!) groups++;
    group[i] = groups;
  });
  groups++;
  const posGroups: number[] = [];
  const negGroups: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? posGroups : negGroups).push(group[i]!);
  const p = posGroups.length;
  const n = negGroups.length;

  const random = mulberry32(seed);
  const posCount = new Float64Array(groups);
  const negCount = new Float64Array(groups);
  const aucs = new Float64Array(samples);
  for (let r = 0; r < samples; r++) {
    posCount.fill(0);
    negCount.fill(0);
    for (let k = 0; k < p; k++) posCount[posGroups[Math.floor(random() * p)]!]!++;
    for (let k = 0; k < n; k++) negCount[negGroups[Math.floor(random() * n)]!]!++;
    let below = 0;
    let wins = 0;
    for (let g = 0; g < groups; g++) {
      wins += posCount[g]! * (below + negCount[g]! / 2);
      below += negCount[g]!;
    }
    aucs[r] = wins / (p * n);
  }
  aucs.sort();
  const tail = (1 - level) / 2;
  return { low: quantileSorted(aucs, tail), high: quantileSorted(aucs, 1 - tail) };
}
