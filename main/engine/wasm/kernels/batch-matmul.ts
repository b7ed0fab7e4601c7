// BatchMatMul for the wasm backend: routes transposed products to the backend's fast non-transposed path.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { KernelScratch } from '../kernel-calls.js';

const size = (t: TensorInfo): number => t.shape.reduce((a, b) => a * b, 1);

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return perm;
}

/**
 * Right-hand operands XNNPACK has been handed once. XNNPACK packs the right-hand operand of a product (its
 * "weights") on first use and keeps the packed copy for that tensor: a dense layer's weight matrix in training is a
 * new tensor every step, so each forward pass repacks it (SimpleNet's 16224×1024 layer on 2 cores, measured on
 * 3 December: 195 ms with a fresh weight tensor, 35 ms with an already packed one, 60 ms as Cᵀ = Bᵀ·Aᵀ, which
 * packs the small Aᵀ instead). A matrix met for the first time is multiplied the flipped way; met again (the
 * same weights over many batches, as in scoring), XNNPACK packs it once and reuses it.
 */
const seenRight = new WeakSet<object>();

/** The flipped plan pays off when the right operand is this many times larger than what the flip copies. */
const FLIP_RATIO = 4;

/**
 * The backend multiplies untransposed operands with XNNPACK, but falls back to a scalar loop when either is
 * transposed — the case of every dense-layer gradient (dx = dy·Wᵀ, dW = xᵀ·dy), ~13× slower. Here C = A·B
 * is computed either directly (materialising the transposed operand) or as Cᵀ = Bᵀ·Aᵀ (then transposing
 * C), whichever copies fewer elements: for dy·Wᵀ that avoids copying a 16224×1024 weight matrix. Untransposed
 * products whose large right operand XNNPACK has not packed yet are flipped too (`seenRight`).
 *
 * a: [...batch, M, K] (or [..., K, M] with transposeA), b: [...batch, K, N] (or [..., N, K]) → [...batch, M, N]
 */
export function makeBatchMatMul(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const m = transposeA ? a.shape.at(-1)! : a.shape.at(-2)!;
    const n = transposeB ? b.shape.at(-2)! : b.shape.at(-1)!;
    const batch = Math.max(size(a) / (a.shape.at(-1)! * a.shape.at(-2)!), size(b) / (b.shape.at(-1)! * b.shape.at(-2)!));
    if (!transposeA && !transposeB) {
      const packed = seenRight.has(b.dataId);
      seenRight.add(b.dataId);
      if (packed || batch !== 1 || size(b) < FLIP_RATIO * (size(a) + m * n)) return original(args);
    }
    const s = new KernelScratch(backend);
    const materialise = (t: TensorInfo): TensorInfo => s.transpose(t, swapLastTwo(t.shape.length));
    const multiply = (x: TensorInfo, y: TensorInfo): TensorInfo => {
      const out = original({ inputs: { a: x, b: y }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
      return s.track(out as TensorInfo);
    };
    const directCost = (transposeA ? size(a) : 0) + (transposeB ? size(b) : 0);
    const flippedCost = (transposeB ? 0 : size(b)) + (transposeA ? 0 : size(a)) + batch * m * n;
    if (directCost > 0 && directCost <= flippedCost) {
      const left = transposeA ? materialise(a) : a;
      const right = transposeB ? materialise(b) : b;
      return s.dispose(multiply(left, right));
    }
    const bT = transposeB ? b : materialise(b);
    const aT = transposeA ? a : materialise(a);
    return s.dispose(materialise(multiply(bT, aT)));
  };
}

export function batchMatMulConfig(original: KernelConfig): KernelConfig {
  return { ...original, kernelFunc: makeBatchMatMul(original.kernelFunc) };
}
