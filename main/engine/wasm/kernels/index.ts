// Registers the training kernels the wasm backend lacks, and faster versions of three it has, exactly once.
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './batch-matmul.js';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-backprop.js';
import { maxPoolGradConfig } from './max-pool-grad.js';

export const addedKernelNames = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'MaxPoolGrad',
  'BatchMatMul',
] as const;

let registered = false;

/** Must run after '@tensorflow/tfjs-backend-wasm' is imported (it registers the kernels we replace). */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  // The backend's own Conv2DBackpropInput and MaxPoolGrad are scalar loops; ours are several times faster.
  for (const config of [conv2dBackpropInputConfig, maxPoolGradConfig]) {
    if (getKernel(config.kernelName, 'wasm') != null) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
  const matMul = getKernel('BatchMatMul', 'wasm');
  if (matMul == null) throw new Error('the wasm backend has no BatchMatMul kernel');
  unregisterKernel('BatchMatMul', 'wasm');
  registerKernel(batchMatMulConfig(matMul));
  for (const config of [conv2dBackpropFilterConfig, depthwiseBackpropInputConfig, depthwiseBackpropFilterConfig]) {
    if (getKernel(config.kernelName, 'wasm') == null) registerKernel(config);
  }
}
