// Sum for the wasm backend: per-channel sums of NHWC tensors (bias and batch-norm gradients) through XNNPACK's pooling.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { KernelScratch, type HeapBackend } from '../kernel-calls.js';

/**
 * Σ over [n, h, w] of an [n, h, w, c] float32 tensor as an h×w average pool (XNNPACK, multithreaded) times h·w,
 * the n per-image results then added in double precision. The backend's Sum transposes the tensor to put the
 * channels first and adds in one float32 running sum. Measured on 3 December for the first SimpleNet layer's bias
 * gradient ([32, 250, 250, 6]): 35 → 6 ms, and 100× closer to the float64 sum (errors 0.01–0.3 against 5–16 on
 * sums of ~6·10⁵).
 */
export function makeSum(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
    const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + x.shape.length : a)).sort();
    const leading = x.shape.length === 4 && axes.length === 3 && axes.every((a, i) => a === i);
    const [n, h, w, c] = x.shape as [number, number, number, number];
    // XNNPACK pools windows of at least two values.
    if (!leading || x.dtype !== 'float32' || n * c === 0 || h * w < 2) return original(args);
    const s = new KernelScratch(backend);
    const pooled = s.run('AvgPool', { x }, { filterSize: [h, w], strides: [1, 1], pad: 'valid' });
    const heap = backend as unknown as HeapBackend;
    const out = heap.makeOutput(keepDims ? [1, 1, 1, c] : [c], 'float32');
    // Views after makeOutput: a heap that grows detaches views taken before it.
    const means = heap.typedArrayFromHeap(pooled);
    const sums = heap.typedArrayFromHeap(out);
    for (let k = 0; k < c; k++) {
      let total = 0;
      for (let i = 0; i < n; i++) total += means[i * c + k]!;
      sums[k] = total * h * w;
    }
    s.dispose(out);
    return out;
  };
}

export function sumConfig(original: KernelConfig): KernelConfig {
  return { ...original, kernelFunc: makeSum(original.kernelFunc) };
}
