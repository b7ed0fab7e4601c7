// Gradient parity cases shared by the engines' tests: an engine's gradients against tfjs's own on the `cpu` backend.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';

/** Max abs error allowed, relative to the largest reference magnitude (float32 sums of up to ~10^4 terms): every engine's kernel and gradient tests. */
export const REL_TOLERANCE = 2e-5;

/** Seeded uniform values in [−1, 1), so both backends read the same numbers. */
function values(n: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32) * 2 - 1;
  });
}

export interface ConvCase {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  pad: 'valid' | 'same';
  activation: 'relu' | 'relu6';
}

/** d/dx and d/dfilter of Σ r·act(conv(x, filter)) on one backend, flattened and concatenated. */
export function convGrads(backend: string, c: ConvCase): Float32Array {
  tf.setBackend(backend);
  return tf
    .tidy(() => {
      const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
      const x = tf.tensor(values(size(c.x), 1), c.x) as tf.Tensor4D;
      // Scaled so that relu6's upper bound is crossed too.
      const filter = tf.mul(tf.tensor(values(size(c.filter), 2), c.filter), 3) as tf.Tensor4D;
      const probe = tf.conv2d(x, filter, 1, c.pad);
      const r = tf.tensor(values(size(probe.shape), 3), probe.shape);
      const act = c.activation === 'relu' ? tf.relu : tf.relu6;
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(r, act(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, c.pad)))));
      const [dx, df] = g([x, filter]);
      return tf.concat([tf.reshape(dx!, [-1]), tf.reshape(df!, [-1])]);
    })
    .dataSync() as Float32Array;
}

export const convCases: ConvCase[] = [
  { name: '1×1 pointwise (matrix products)', x: [2, 5, 6, 8], filter: [1, 1, 8, 12], pad: 'same', activation: 'relu' },
  { name: '1×1 pointwise, relu6', x: [3, 4, 4, 5], filter: [1, 1, 5, 7], pad: 'valid', activation: 'relu6' },
  { name: "7×7, valid (tfjs gradient: the engine's backprop kernels)", x: [3, 19, 17, 3], filter: [7, 7, 3, 6], pad: 'valid', activation: 'relu' },
  { name: '3×3, same', x: [2, 9, 11, 4], filter: [3, 3, 4, 5], pad: 'same', activation: 'relu' },
  { name: '4×2, same (uneven padding)', x: [2, 8, 7, 3], filter: [4, 2, 3, 2], pad: 'same', activation: 'relu6' },
  { name: '3×3 wide (tfjs gradient)', x: [1, 6, 6, 24], filter: [3, 3, 24, 32], pad: 'same', activation: 'relu' },
];

/** max |got − want| ≤ REL_TOLERANCE × max |want|. */
export function assertClose(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, what);
  let maxRef = 0;
  let maxErr = 0;
  for (let i = 0; i < want.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(want[i]!));
    maxErr = Math.max(maxErr, Math.abs(got[i]! - want[i]!));
  }
  assert.ok(maxRef > 0, what);
  assert.ok(maxErr <= REL_TOLERANCE * maxRef, `${what}: max |err| ${maxErr} > ${REL_TOLERANCE} × ${maxRef}`);
}

export const BATCH_NORM_INPUTS = ['x', 'mean', 'variance', 'scale', 'offset'] as const;

/** d/d(x, mean, variance, scale, offset) of Σ r·batchNorm(x) with fixed statistics (inference mode), on one backend. */
export function batchNormGrads(backend: string, shape: number[]): Float32Array[] {
  tf.setBackend(backend);
  const c = shape[shape.length - 1]!;
  const n = shape.reduce((a, b) => a * b, 1);
  const parts = tf.tidy(() => {
    const x = tf.tensor(values(n, 4), shape);
    const mean = tf.tensor1d(values(c, 5));
    const variance = tf.add(tf.abs(tf.tensor1d(values(c, 6))), 0.1);
    const scale = tf.tensor1d(values(c, 7));
    const offset = tf.tensor1d(values(c, 8));
    const r = tf.tensor(values(n, 9), shape);
    const g = tf.grads((...[a, m, v, s, o]: tf.Tensor[]) => tf.sum(tf.mul(r, tf.batchNorm(a!, m!, v!, o!, s!, 1e-3))));
    return g([x, mean, variance, scale, offset]);
  });
  const out = parts.map((p) => p.dataSync() as Float32Array);
  tf.dispose(parts);
  return out;
}

/** NHWC (the native engine's one-op path) and rank 2. */
export const BATCH_NORM_SHAPES = [
  [2, 5, 6, 8],
  [7, 8],
];
