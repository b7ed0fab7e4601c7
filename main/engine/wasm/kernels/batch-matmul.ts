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
 * The backend multiplies untransposed operands with XNNPACK, but falls back to a scalar loop when either is
 * transposed — the case of every dense-layer gradient (dx = dy·Wᵀ, dW = xᵀ·dy), ~13× slower. Here C = A·B
 * is computed either directly (materialising the transposed operand) or as Cᵀ = Bᵀ·Aᵀ (then transposing
 * C), whichever copies fewer elements: for dy·Wᵀ that avoids copying a 16224×1024 weight matrix.
 *
 * a: [...batch, M, K] (or [..., K, M] with transposeA), b: [...batch, K, N] (or [..., N, K]) → [...batch, M, N]
 */
export function makeBatchMatMul(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return original(args);
    const s = new KernelScratch(backend);
    const materialise = (t: TensorInfo): TensorInfo => s.transpose(t, swapLastTwo(t.shape.length));
    const multiply = (x: TensorInfo, y: TensorInfo): TensorInfo => {
      const out = original({ inputs: { a: x, b: y }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
      return s.track(out as TensorInfo);
    };
    const m = transposeA ? a.shape.at(-1)! : a.shape.at(-2)!;
    const n = transposeB ? b.shape.at(-2)! : b.shape.at(-1)!;
    const batch = Math.max(size(a) / (a.shape.at(-1)! * a.shape.at(-2)!), size(b) / (b.shape.at(-1)! * b.shape.at(-2)!));
    const directCost = (transposeA ? size(a) : 0) + (transposeB ? size(b) : 0);
    const flippedCost = (transposeB ? 0 : size(b)) + (transposeA ? 0 : size(a)) + batch * m * n;
    if (directCost <= flippedCost) {
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
