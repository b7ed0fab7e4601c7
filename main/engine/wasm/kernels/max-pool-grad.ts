// MaxPoolGrad for the wasm backend: one pass over the windows in JS on the wasm heap.
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { HeapBackend } from '../kernel-calls.js';

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
  const { padInfo, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  // Whole windows only: 'same' padding of an odd side adds a partial one at the end.
  const pairs = info.filterHeight === 2 && info.filterWidth === 2 && sh === 2 && sw === 2;
  if (pairs && padInfo.top === 0 && padInfo.left === 0 && 2 * oh <= h && 2 * ow <= w) pairsGrad(x, g, dx, info);
  else windowsGrad(x, g, dx, info);
  return out;
};

/** Any window, stride and padding. */
function windowsGrad(x: Float32Array, g: Float32Array, dx: Float32Array, info: backend_util.Conv2DInfo): void {
  const { batchSize, inHeight: h, inWidth: w, inChannels: ch, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const rowStride = w * ch;
  // Per-channel running maxima of the current window; channels innermost so every read is sequential.
  const best = new Float32Array(ch);
  const at = new Int32Array(ch);
  for (let n = 0; n < batchSize; n++) {
    const imageBase = n * h * rowStride;
    for (let y = 0; y < oh; y++) {
      const r0 = y * sh - top;
      const rFrom = Math.max(0, r0);
      const rTo = Math.min(h, r0 + fh);
      for (let xo = 0; xo < ow; xo++) {
        const c0 = xo * sw - left;
        const cFrom = Math.max(0, c0);
        const cTo = Math.min(w, c0 + fw);
        best.fill(Number.NEGATIVE_INFINITY);
        at.fill(-1);
        for (let r = rFrom; r < rTo; r++) {
          for (let c = cFrom; c < cTo; c++) {
            const base = imageBase + r * rowStride + c * ch;
            for (let k = 0; k < ch; k++) {
              const v = x[base + k]!;
              if (v > best[k]!) {
                best[k] = v;
                at[k] = base + k;
              }
            }
          }
        }
        const dyBase = ((n * oh + y) * ow + xo) * ch;
        for (let k = 0; k < ch; k++) {
          const i = at[k]!;
          if (i >= 0) dx[i] = dx[i]! + g[dyBase + k]!;
        }
      }
    }
  }
}

/**
 * 2×2 windows at stride 2 without padding (SimpleNet's pools): each input value is in at most one window, so
 * each window's maximum per channel is found with four reads and written directly, with no running-maximum
 * arrays to reset per window. Measured on 3 December: 97 → 62 ms on [32, 250, 250, 6], 52 → 36 ms on
 * [32, 119, 119, 16].
 */
function pairsGrad(x: Float32Array, g: Float32Array, dx: Float32Array, info: backend_util.Conv2DInfo): void {
  const { batchSize, inHeight: h, inWidth: w, inChannels: ch, outHeight: oh, outWidth: ow } = info;
  const rowStride = w * ch;
  for (let n = 0; n < batchSize; n++) {
    for (let y = 0; y < oh; y++) {
      const rowBase = (n * h + 2 * y) * rowStride;
      for (let xo = 0; xo < ow; xo++) {
        const windowBase = rowBase + 2 * xo * ch;
        const dyBase = ((n * oh + y) * ow + xo) * ch;
        for (let k = 0; k < ch; k++) {
          // The first strictly greater value in row-major order, as the general loop.
          const i0 = windowBase + k;
          const i2 = i0 + rowStride;
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          let v = x[i0]!;
          if (v > best) {
            best = v;
            at = i0;
          }
          v = x[i0 + ch]!;
          if (v > best) {
            best = v;
            at = i0 + ch;
          }
          v = x[i2]!;
          if (v > best) {
            best = v;
            at = i2;
          }
          if (x[i2 + ch]! > best) at = i2 + ch;
          if (at >= 0) dx[at] = g[dyBase + k]!;
        }
      }
    }
  }
}

export const maxPoolGradConfig: KernelConfig = { kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad };
