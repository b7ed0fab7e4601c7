// Conv2DBackpropFilter for the wasm backend: ∂loss/∂filter as one XNNPACK convolution (multithreaded).
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { KernelScratch } from '../kernel-calls.js';
import { convAxes, filterGradPads, explicitPad } from './conv-geometry.js';

/**
 * dW[kh,kw,ci,co] = Σ_{n,y,x} x[n, y·s+kh−pt, x·s+kw−pl, ci] · dy[n,y,x,co]
 *
 * is a convolution in which the batch and channel axes trade places: the input is x transposed to
 * [ci, H, W, n] (ci acts as the batch, n as the input channels), the "filter" is dy transposed to
 * [OH, OW, n, co], its taps dilated by the forward stride; the output [ci, KH, KW, co] is dW transposed.
 * The reduction over n·OH·OW then runs inside XNNPACK's GEMM instead of a JS loop.
 *
 * x: [batch, H, W, inChannels], dy: [batch, OH, OW, outChannels] → dW: [KH, KW, inChannels, outChannels]
 */
const conv2dBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
    strides: [number, number] | number;
    pad: backend_util.PadInfo['type'] | number | backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  if (dataFormat === 'NCHW') throw new Error('wasm Conv2DBackpropFilter supports NHWC only');
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad as 'valid', dimRoundingMode);
  const [rows, cols] = convAxes(info);
  const padRows = filterGradPads(rows);
  const padCols = filterGradPads(cols);
  const s = new KernelScratch(backend);
  const [n, , , ci] = x.shape as [number, number, number, number];
  const xUsed = s.slice(x, [0, 0, 0, 0], [n, padRows.keep, padCols.keep, ci]);
  const xT = s.transpose(xUsed, [3, 1, 2, 0]);
  const dyT = s.transpose(dy, [1, 2, 0, 3]);
  const dwT = s.run(
    'Conv2D',
    { x: xT, filter: dyT },
    {
      strides: [1, 1],
      dilations: [rows.stride, cols.stride],
      pad: explicitPad(padRows, padCols),
      dataFormat: 'NHWC',
    },
  );
  return s.dispose(s.transpose(dwT, [1, 2, 0, 3]));
};

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter,
};
