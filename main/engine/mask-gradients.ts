// Relu and Relu6 gradients as one mask kernel on the engines that register one (native: TensorFlow's ReluGrad and
// Relu6Grad ops; wasm: Relu's as Step · dy), where tfjs's own runs Step (itself IsNan, Greater, Fill and two
// Selects on libtensorflow), a float32-to-float32 Cast (a full copy on wasm) and a Multiply over every activation.
import * as tf from '@tensorflow/tfjs';

/** dy where the forward input x was > 0, else 0. */
export const RELU_GRAD = 'UnmaskReluGrad';
/** dy where the forward input x was in (0, 6), else 0. */
export const RELU6_GRAD = 'UnmaskRelu6Grad';

let installed = false;

/**
 * Replaces, for the process, the Relu and Relu6 gradients with `RELU_GRAD` / `RELU6_GRAD` where the active
 * backend registers that kernel; any other backend (the cpu reference in a test) keeps tfjs's gradient.
 * `UNMASK_TFJS_GRADIENTS=1` keeps tfjs's gradients everywhere (to measure what these change).
 */
export function installMaskGradients(): void {
  if (installed || process.env.UNMASK_TFJS_GRADIENTS === '1') return;
  installed = true;
  for (const [kernelName, grad] of [
    ['Relu', RELU_GRAD],
    ['Relu6', RELU6_GRAD],
  ] as const) {
    const fallback = tf.getGradient(kernelName);
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        if (tf.getKernel(grad, tf.getBackend()) == null && fallback) return fallback.gradFunc(dy, saved, attrs);
        const [x] = saved as [tf.Tensor];
        return { x: () => tf.engine().runKernel(grad, { dy: dy as tf.Tensor, x }) as tf.Tensor };
      },
    });
  }
}
