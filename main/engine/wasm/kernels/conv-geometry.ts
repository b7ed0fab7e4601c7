// Padding arithmetic shared by the convolution backprop kernels: where the forward window started and ended.
import { backend_util } from '@tensorflow/tfjs-core';

/** One spatial axis of a forward convolution, as the backprop kernels need it. */
export interface AxisGeometry {
  inSize: number;
  outSize: number;
  filterSize: number;
  stride: number;
  dilation: number;
  padBefore: number;
}

/** Both spatial axes of a forward conv (NHWC), from tfjs's own conv-info computation. */
export function convAxes(info: backend_util.Conv2DInfo): [AxisGeometry, AxisGeometry] {
  return [
    {
      inSize: info.inHeight,
      outSize: info.outHeight,
      filterSize: info.filterHeight,
      stride: info.strideHeight,
      dilation: info.dilationHeight,
      padBefore: info.padInfo.top,
    },
    {
      inSize: info.inWidth,
      outSize: info.outWidth,
      filterSize: info.filterWidth,
      stride: info.strideWidth,
      dilation: info.dilationWidth,
      padBefore: info.padInfo.left,
    },
  ];
}

/** Which part of a (dilated) tensor a correlation reads, and the zero padding around it. */
export interface CorrelationWindow {
  begin: number;
  size: number;
  before: number;
  after: number;
}

/**
 * Window for the "full" correlation that computes ∂loss/∂input: dy dilated by the stride (length
 * outSize·stride, trailing zeros included) is correlated, stride 1, with the flipped filter (dilated by the
 * forward dilation), so that the output is exactly `inSize` long. Padding wider than the filter becomes a
 * crop at the start; input rows the forward conv never read become a crop at the end.
 */
export function inputGradWindow(a: AxisGeometry): CorrelationWindow {
  const effectiveFilter = (a.filterSize - 1) * a.dilation + 1;
  const leading = effectiveFilter - 1 - a.padBefore;
  const begin = Math.max(0, -leading);
  const before = Math.max(0, leading);
  let size = a.outSize * a.stride - begin;
  let after = a.inSize + effectiveFilter - 1 - before - size;
  if (after < 0) {
    size += after;
    after = 0;
  }
  if (size <= 0) throw new Error('convolution gradient: no output position reads the input');
  return { begin, size, before, after };
}

/**
 * Padding for the correlation that computes ∂loss/∂filter: the input (padded) is correlated with dy dilated
 * by the forward stride, stepping by the forward dilation, so that the output is exactly `filterSize` long.
 * `keep` crops input rows the forward conv never read.
 */
export function filterGradPads(a: AxisGeometry): { before: number; after: number; keep: number } {
  const dyExtent = (a.outSize - 1) * a.stride + 1;
  let after = (a.filterSize - 1) * a.dilation + dyExtent - a.inSize - a.padBefore;
  let keep = a.inSize;
  if (after < 0) {
    keep += after;
    after = 0;
  }
  return { before: a.padBefore, after, keep };
}

/** NHWC explicit padding for tfjs conv kernels from per-axis [before, after] amounts. */
export function explicitPad(
  rows: { before: number; after: number },
  cols: { before: number; after: number },
): [[0, 0], [number, number], [number, number], [0, 0]] {
  return [
    [0, 0],
    [rows.before, rows.after],
    [cols.before, cols.after],
    [0, 0],
  ];
}
