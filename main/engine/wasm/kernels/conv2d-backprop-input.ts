// Conv2DBackpropInput for the wasm backend: ∂loss/∂input as one XNNPACK convolution (multithreaded).
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { dilateSpatial, KernelScratch } from '../kernel-calls.js';
import { convAxes, inputGradWindow, explicitPad } from './conv-geometry.js';

/**
 * dx = full correlation of dy (zero-dilated by the stride) with the filter flipped in space and with its
 * in/out channels swapped (the transposed convolution). Replaces the backend's scalar C++ loop.
 *
 * dy: [batch, OH, OW, outChannels], filter: [KH, KW, inChannels, outChannels] → dx: inputShape (NHWC)
 */
const conv2dBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    inputShape: [number, number, number, number];
  };
  if (dataFormat === 'NCHW') throw new Error('wasm Conv2DBackpropInput supports NHWC only');
  const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode);
  const [rows, cols] = convAxes(info);
  const winRows = inputGradWindow(rows);
  const winCols = inputGradWindow(cols);
  const s = new KernelScratch(backend);
  const [n, , , co] = dy.shape as [number, number, number, number];
  const dilated = dilateSpatial(s, dy, rows.stride, cols.stride);
  const cropped = s.slice(dilated, [0, winRows.begin, winCols.begin, 0], [n, winRows.size, winCols.size, co]);
  const flipped = s.transpose(s.reverse(filter, [0, 1]), [0, 1, 3, 2]);
  const dx = s.run(
    'Conv2D',
    { x: cropped, filter: flipped },
    {
      strides: [1, 1],
      dilations: [1, 1],
      pad: explicitPad(winRows, winCols),
      dataFormat: 'NHWC',
    },
  );
  return s.dispose(dx);
};

export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput,
};
