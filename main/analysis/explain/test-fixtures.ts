// Tiny models with known weights for the explain tests, and plain-JS reference arithmetic.
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../data/index.js';

/** Deterministic values in [−scale, scale). */
export function values(n: number, seed: number, scale = 1): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (rng() * 2 - 1) * scale);
}

/** Sets every weight of `model` from `byName` (layer-given names such as 'cam/kernel'). */
export function setWeights(model: tf.LayersModel, byName: Record<string, Float32Array | number[]>): void {
  const tensors = model.weights.map((w) => {
    const v = byName[w.originalName];
    if (!v) throw new Error(`no test value for ${w.originalName}`);
    return tf.tensor(v, w.shape as number[]);
  });
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** A dense layer (no seeded initialiser needed: tests set every weight). */
export const dense = (units: number, name: string, activation: 'linear' | 'relu' | 'tanh' = 'linear') => tf.layers.dense({ units, name, activation });
/** A 1×1 convolution [batch, h, w, in] → [batch, h, w, filters]. */
export const conv1x1 = (filters: number, name: string, activation: 'linear' | 'relu' | 'tanh') =>
  tf.layers.conv2d({ filters, kernelSize: 1, name, activation });

/**
 * input 4×4×1 → `cam` conv 1×1, 2 filters, ReLU → `mix` conv 1×1, 2 filters, tanh → global average pool →
 * `logits` dense 2. Known weights below; gradients at `cam` vary across positions through tanh.
 */
export const CHAIN = {
  camKernel: [1.2, -0.7],
  camBias: [0.1, 0.3],
  mixKernel: [0.8, -0.5, 0.4, 0.9], // [in k][out m]
  mixBias: [0.05, -0.1],
  logitsKernel: [1.5, -1.0, -0.6, 0.7], // [in m][out c]
  logitsBias: [0.2, -0.1],
};

export function chainModel(): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 1], name: 'x' });
  let h = conv1x1(2, 'cam', 'relu').apply(input) as tf.SymbolicTensor;
  h = conv1x1(2, 'mix', 'tanh').apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(h) as tf.SymbolicTensor;
  const out = dense(2, 'logits').apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out, name: 'chain' });
  setWeights(model, {
    'cam/kernel': CHAIN.camKernel,
    'cam/bias': CHAIN.camBias,
    'mix/kernel': CHAIN.mixKernel,
    'mix/bias': CHAIN.mixBias,
    'logits/kernel': CHAIN.logitsKernel,
    'logits/bias': CHAIN.logitsBias,
  });
  return model;
}

/** Plain-JS forward of chainModel for one 4×4 image: A [16][2], logits [2] and ∂logit_c/∂A [16][2] for class c. */
export function chainByHand(x: ArrayLike<number>, c: number): { A: number[][]; G: number[][]; logits: number[] } {
  const A = Array.from({ length: 16 }, (_, p) => [0, 1].map((k) => Math.max(0, x[p]! * CHAIN.camKernel[k]! + CHAIN.camBias[k]!)));
  const Z = A.map((a) => [0, 1].map((m) => Math.tanh(a[0]! * CHAIN.mixKernel[m]! + a[1]! * CHAIN.mixKernel[2 + m]! + CHAIN.mixBias[m]!)));
  const pooled = [0, 1].map((m) => Z.reduce((s, z) => s + z[m]!, 0) / 16);
  const logits = [0, 1].map((o) => pooled[0]! * CHAIN.logitsKernel[o]! + pooled[1]! * CHAIN.logitsKernel[2 + o]! + CHAIN.logitsBias[o]!);
  const G = Z.map((z) =>
    [0, 1].map((k) => [0, 1].reduce((s, m) => s + (CHAIN.logitsKernel[m * 2 + c]! / 16) * (1 - z[m]! ** 2) * CHAIN.mixKernel[k * 2 + m]!, 0)),
  );
  return { A, G, logits };
}

/** Plain-JS CAM from weights w [2] and A [16][2]: ReLU(Σ_k w_k A_k), as 16 values. */
export function camByHand(A: number[][], w: number[]): number[] {
  return A.map((a) => Math.max(0, a[0]! * w[0]! + a[1]! * w[1]!));
}

/** The CAM weights of each method, by hand, from A and G [16][2]. */
export function weightsByHand(A: number[][], G: number[][]): Record<'gradcam' | 'gradcam++' | 'xgradcam', number[]> {
  const ks = [0, 1];
  const sumA = ks.map((k) => A.reduce((s, a) => s + a[k]!, 0));
  return {
    gradcam: ks.map((k) => G.reduce((s, g) => s + g[k]!, 0) / G.length),
    'gradcam++': ks.map((k) =>
      G.reduce((s, g) => {
        const gk = g[k]!;
        if (gk === 0) return s;
        const alpha = gk ** 2 / (2 * gk ** 2 + sumA[k]! * gk ** 3 + 1e-6);
        return s + alpha * Math.max(0, gk);
      }, 0),
    ),
    xgradcam: ks.map((k) => A.reduce((s, a, p) => s + G[p]![k]! * a[k]!, 0) / (sumA[k]! + 1e-7)),
  };
}

/** Throws unless |actual − expected| ≤ tol · max(1, |expected|) element-wise. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= tol * Math.max(1, Math.abs(expected[i]!)))) throw new Error(`${what}[${i}]: ${actual[i]} vs ${expected[i]} (tol ${tol})`);
  }
}
