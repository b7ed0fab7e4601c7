// Registers the training kernels the wasm backend lacks, faster versions of five it has, and the gradients written
// for the CPU engines (Relu's, 1×1 convolutions', batch norm's), exactly once.
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './batch-matmul.js';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-backprop.js';
import { identityConfig } from './identity.js';
import { installLayerGradients } from '../../layer-gradients.js';
import { installMaskGradients } from '../../mask-gradients.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { reluGradConfig } from './relu-grad.js';
import { sumConfig } from './sum.js';

let registered = false;

/** Must run after '@tensorflow/tfjs-backend-wasm' is imported (it registers the kernels we replace). */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  // The backend's own Conv2DBackpropInput and MaxPoolGrad are scalar loops, several times slower than ours; its
  // Identity copies.
  for (const config of [conv2dBackpropInputConfig, maxPoolGradConfig, identityConfig]) {
    if (getKernel(config.kernelName, 'wasm') != null) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
  // Wrapped: the backend's own kernel still runs the cases the wrapper does not speed up.
  for (const [name, wrap] of [
    ['BatchMatMul', batchMatMulConfig],
    ['Sum', sumConfig],
  ] as const) {
    const original = getKernel(name, 'wasm');
    if (original == null) throw new Error(`the wasm backend has no ${name} kernel`);
    unregisterKernel(name, 'wasm');
    registerKernel(wrap(original));
  }
  for (const config of [conv2dBackpropFilterConfig, depthwiseBackpropInputConfig, depthwiseBackpropFilterConfig, reluGradConfig]) {
    if (getKernel(config.kernelName, 'wasm') == null) registerKernel(config);
  }
  installMaskGradients();
  installLayerGradients();
}
