// Relu's gradient for the wasm backend: dy · Step(x) from the backend's own kernels, without tfjs's Cast.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { RELU_GRAD } from '../../mask-gradients.js';
import { KernelScratch } from '../kernel-calls.js';

/**
 * tfjs's Relu gradient is dy · Cast(Step(x), 'float32'); on wasm the Cast of a float32 tensor is a full copy
 * (an Identity). SimpleNet's first layer ([32, 250, 250, 6]), measured on 3 December: Cast and its copy took
 * 32 of its 54 ms.
 */
const reluGrad: KernelFunc = ({ inputs, backend }) => {
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  const s = new KernelScratch(backend);
  const mask = s.run('Step', { x }, { alpha: 0 });
  return s.dispose(s.run('Multiply', { a: dy, b: mask }));
};

export const reluGradConfig: KernelConfig = { kernelName: RELU_GRAD, backendName: 'wasm', kernelFunc: reluGrad };
