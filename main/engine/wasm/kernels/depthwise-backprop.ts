// DepthwiseConv2dNativeBackpropInput/Filter for the wasm backend, each as one XNNPACK depthwise convolution.
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { dilateSpatial, KernelScratch } from '../kernel-calls.js';
import { convAxes, filterGradPads, inputGradWindow, explicitPad } from './conv-geometry.js';

interface DepthwiseAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function depthwiseInfo(xShape: number[], filterShape: number[], a: DepthwiseAttrs): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    true,
  );
}

/**
 * dx[n,i,j,c] = Σ_k full-correlation(dy[…, c·m+k] zero-dilated by the stride, W[::-1, ::-1, c, k]).
 * With channel multiplier m the correlation runs on all c·m channels, then the m copies are summed.
 *
 * dy: [batch, OH, OW, C·m], filter: [KH, KW, C, m] → dx: inputShape [batch, H, W, C]
 */
const depthwiseBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as DepthwiseAttrs & { inputShape: [number, number, number, number] };
  const info = depthwiseInfo(a.inputShape, filter.shape, a);
  const [rows, cols] = convAxes(info);
  const winRows = inputGradWindow(rows);
  const winCols = inputGradWindow(cols);
  const [kh, kw, c, m] = filter.shape as [number, number, number, number];
  const [n, h, w] = a.inputShape;
  const s = new KernelScratch(backend);
  const dilated = dilateSpatial(s, dy, rows.stride, cols.stride);
  const cropped = s.slice(dilated, [0, winRows.begin, winCols.begin, 0], [n, winRows.size, winCols.size, c * m]);
  const flipped = s.reshape(s.reverse(filter, [0, 1]), [kh, kw, c * m, 1]);
  const perCopy = s.run(
    'DepthwiseConv2dNative',
    { x: cropped, filter: flipped },
    {
      strides: [1, 1],
      dilations: [rows.dilation, cols.dilation],
      pad: explicitPad(winRows, winCols),
    },
  );
  const dx = m === 1 ? perCopy : s.sum(s.reshape(perCopy, [n, h, w, c, m]), [4]);
  return s.dispose(dx);
};

/**
 * dW[kh,kw,c,k] = Σ_{n,y,x} x[n, y·s+kh·d−pt, x·s+kw·d−pl, c] · dy[n,y,x,c·m+k]
 *
 * is a depthwise convolution over N·C channels of one image: x as [1, H, W, N·C], dy as the filter
 * [OH, OW, N·C, m] (taps dilated by the stride, stepping by the dilation); the output [1, KH, KW, N·C·m]
 * is summed over N.
 *
 * x: [batch, H, W, C], dy: [batch, OH, OW, C·m] → dW: filterShape [KH, KW, C, m]
 */
const depthwiseBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as DepthwiseAttrs & { filterShape: [number, number, number, number] };
  const info = depthwiseInfo(x.shape, a.filterShape, a);
  const [rows, cols] = convAxes(info);
  const padRows = filterGradPads(rows);
  const padCols = filterGradPads(cols);
  const [kh, kw, c, m] = a.filterShape;
  const n = x.shape[0]!;
  const [, oh, ow] = dy.shape as [number, number, number, number];
  const s = new KernelScratch(backend);
  const xUsed = s.slice(x, [0, 0, 0, 0], [n, padRows.keep, padCols.keep, c]);
  const xT = s.reshape(s.transpose(xUsed, [1, 2, 0, 3]), [1, padRows.keep, padCols.keep, n * c]);
  const dyT = s.reshape(s.transpose(s.reshape(dy, [n, oh, ow, c, m]), [1, 2, 0, 3, 4]), [oh, ow, n * c, m]);
  const perImage = s.run(
    'DepthwiseConv2dNative',
    { x: xT, filter: dyT },
    {
      strides: [rows.dilation, cols.dilation],
      dilations: [rows.stride, cols.stride],
      pad: explicitPad(padRows, padCols),
    },
  );
  const summed = s.sum(s.reshape(perImage, [kh, kw, n, c * m]), [2]);
  return s.dispose(s.reshape(summed, [kh, kw, c, m]));
};

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput,
};

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter,
};
