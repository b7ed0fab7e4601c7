// Identity for the wasm backend: the output shares the input's data, as on the cpu and native backends.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * tfjs clones (Identity) every tensor a gradient needs when the forward pass records it, and the wasm backend's
 * Identity copies: 50 ms of SimpleNet's training step on 3 December (its activations, 12 M values the largest).
 * Data is never written in place once a kernel has made it (the optimizer copies shared moments first), so
 * sharing by reference count, as the Reshape kernel already does, is safe.
 */
const identity: KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: TensorInfo };
  (backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

export const identityConfig: KernelConfig = { kernelName: 'Identity', backendName: 'wasm', kernelFunc: identity };
