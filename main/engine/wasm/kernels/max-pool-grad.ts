// MaxPoolGrad for the wasm backend: one pass over the windows in JS on the wasm heap.
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

/**
 * dx[n, r, c, ch] = Σ over the windows whose first maximum is at (r, c) of dy[n, y, x, ch] — the same
 * tie-breaking (first strictly greater value in row-major window order) as tfjs's reference kernels.
 * The backend's own kernel took ~0.35 s per SimpleNet step; this loop reads each window once.
 *
 * dy: [batch, OH, OW, C], input: [batch, H, W, C] → dx: [batch, H, W, C]
 */
const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as {
    filterSize: [number, number] | number;
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const heap = backend as unknown as HeapBackend;
  const out = heap.makeOutput(input.shape, 'float32');
  const x = heap.typedArrayFromHeap(input);
  const g = heap.typedArrayFromHeap(dy);
  const dx = heap.typedArrayFromHeap(out);
  dx.fill(0);
  const { batchSize, inHeight: h, inWidth: w, inChannels: ch, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const rowStride = w * ch;
  for (let n = 0; n < batchSize; n++) {
    const imageBase = n * h * rowStride;
    for (let y = 0; y < oh; y++) {
      const r0 = y * sh - top;
      for (let xo = 0; xo < ow; xo++) {
        const c0 = xo * sw - left;
        const dyBase = ((n * oh + y) * ow + xo) * ch;
        for (let k = 0; k < ch; k++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let fr = 0; fr < fh; fr++) {
            const r = r0 + fr;
            if (r < 0 || r >= h) continue;
            for (let fc = 0; fc < fw; fc++) {
              const c = c0 + fc;
              if (c < 0 || c >= w) continue;
              const idx = imageBase + r * rowStride + c * ch + k;
              const v = x[idx]!;
              if (v > best) {
                best = v;
                at = idx;
              }
            }
          }
          if (at >= 0) dx[at] = dx[at]! + g[dyBase + k]!;
        }
      }
    }
  }
  return out;
};

export const maxPoolGradConfig: KernelConfig = { kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad };
