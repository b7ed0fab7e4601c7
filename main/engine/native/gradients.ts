// Gradients for the native (libtensorflow) engines that run as one TensorFlow op where tfjs's generic ones run many.
import * as tf from '@tensorflow/tfjs';
import { installLayerGradients } from '../layer-gradients.js';
import { installMaskGradients, RELU6_GRAD, RELU_GRAD } from '../mask-gradients.js';
import { floatAttrs, type NodeBackend } from './kernels.js';

/** dy masked where the forward input was ≤ 0 (Relu) or outside (0, 6) (Relu6), as TensorFlow's ReluGrad/Relu6Grad. */
function registerMaskKernel(kernelName: string, tfOp: 'ReluGrad' | 'Relu6Grad'): void {
  tf.registerKernel({
    kernelName,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as unknown as NodeBackend;
      const { dy, x } = inputs as { dy: tf.Tensor; x: tf.Tensor };
      return b.executeSingleOutput(tfOp, floatAttrs(b), [dy, x]) as unknown as tf.TensorInfo;
    },
  });
}

let installed = false;

/**
 * Replaces, for the process, the gradients whose tfjs form is slow on libtensorflow: Relu and Relu6 become one
 * ReluGrad / Relu6Grad op (mask-gradients.ts), Conv2D's and batch norm's as layer-gradients.ts says. Call once
 * the 'tensorflow' backend is active. `UNMASK_TFJS_GRADIENTS=1` keeps tfjs's gradients (to measure what these
 * change).
 */
export function installNativeGradients(): void {
  if (installed || process.env.UNMASK_TFJS_GRADIENTS === '1') return;
  installed = true;
  registerMaskKernel(RELU_GRAD, 'ReluGrad');
  registerMaskKernel(RELU6_GRAD, 'Relu6Grad');
  installMaskGradients();
  installLayerGradients();
}
