// Gradients for the native (libtensorflow) engines that run as one TensorFlow op where tfjs's generic ones run many.
import * as tf from '@tensorflow/tfjs';
import { floatAttrs, type NodeBackend } from './kernels.js';

const RELU_GRAD = 'UnmaskReluGrad';
const RELU6_GRAD = 'UnmaskRelu6Grad';

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

const isOnes = (v: unknown): boolean => v == null || (Array.isArray(v) ? v.every((d) => d === 1) : v === 1);

/** The filter gradient as a forward convolution pays off only for narrow layers (measured: SimpleNet's 3→6, 6→16, 16→24). */
const MAX_NARROW_CHANNELS = 512;

/**
 * dfilter of a stride-1 convolution as one forward convolution with the batch as the channel axis:
 * xᵀ [cin, h, w, b] (padded as the layer was) ⊛ dyᵀ [ho, wo, b, cout] → [cin, kh, kw, cout] → [kh, kw, cin, cout].
 * libtensorflow's Conv2DBackpropFilter takes 2–4× as long on narrow layers (few input and output channels
 * over a large image), where its cost is reading x once per filter tap.
 */
function filterGradAsConv(x: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number, pad: 'valid' | 'same'): tf.Tensor4D {
  return tf.tidy(() => {
    let xp = x;
    if (pad === 'same') {
      const [ph, pw] = [kh - 1, kw - 1];
      xp = tf.pad(x, [
        [0, 0],
        [Math.floor(ph / 2), ph - Math.floor(ph / 2)],
        [Math.floor(pw / 2), pw - Math.floor(pw / 2)],
        [0, 0],
      ]);
    }
    const out = tf.conv2d(tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D, tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D, 1, 'valid');
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}

/**
 * dx of a stride-1 convolution as one forward convolution: dy zero-padded by (k − 1 − leading pad) before and
 * (input − output + leading pad) after, ⊛ the filter turned 180° with its channel axes swapped [kh, kw, cout, cin].
 * libtensorflow's Conv2DBackpropInput takes 1.3–1.7× as long on SimpleNet's 6→16 and 16→24 layers.
 */
function inputGradAsConv(dy: tf.Tensor4D, filter: tf.Tensor4D, xShape: readonly number[], pad: 'valid' | 'same'): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filter.shape;
    const lead = (k: number): number => (pad === 'same' ? Math.floor((k - 1) / 2) : 0);
    const padded = tf.pad(dy, [
      [0, 0],
      [kh - 1 - lead(kh), xShape[1]! - dy.shape[1] + lead(kh)],
      [kw - 1 - lead(kw), xShape[2]! - dy.shape[2] + lead(kw)],
      [0, 0],
    ]);
    return tf.conv2d(padded, tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D, 1, 'valid');
  });
}

/**
 * Conv2D's gradient, reformulated where libtensorflow's backprop ops are slow (stride-1, undilated, NHWC):
 * - 1×1 (Xception's and MobileNet's pointwise layers) as two matrix products: x [b, h, w, cin], filter
 *   [1, 1, cin, cout], dy [b, h, w, cout] → dx = dy · filterᵀ, dfilter = xᵀ · dy. Conv2DBackpropInput for 1×1
 *   runs several times slower than the forward convolution of the same size; MatMul runs as fast as it.
 * - narrow k×k layers (cin·cout ≤ 512, 'valid' or 'same' padding): dfilter by `filterGradAsConv`, dx by `inputGradAsConv`.
 * Every other convolution keeps tfjs's gradient.
 */
function convGrad(fallback: tf.GradConfig): tf.GradConfig {
  return {
    ...fallback,
    gradFunc: (dy, saved, attrs) => {
      // Measured on the CPU only: a CUDA device (tfjs-node-gpu, also 'tensorflow') keeps tfjs's gradient.
      const gpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
      if (tf.getBackend() !== 'tensorflow' || gpu) return fallback.gradFunc(dy, saved, attrs);
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const a = attrs as unknown as { strides: number | number[]; dilations: number | number[]; pad: unknown; dataFormat?: string };
      const [kh, kw, cin, cout] = filter.shape;
      if (!isOnes(a.strides) || !isOnes(a.dilations) || (a.dataFormat ?? 'NHWC') !== 'NHWC') return fallback.gradFunc(dy, saved, attrs);
      const g = (Array.isArray(dy) ? dy[0]! : dy) as tf.Tensor4D;
      if (kh === 1 && kw === 1) {
        const rows = g.shape[0] * g.shape[1] * g.shape[2];
        const dy2 = (): tf.Tensor2D => tf.reshape(g, [rows, cout]);
        return {
          x: () => tf.reshape(tf.matMul(dy2(), tf.reshape(filter, [cin, cout]), false, true), x.shape),
          filter: () => tf.reshape(tf.matMul(tf.reshape(x, [rows, cin]), dy2(), true, false), filter.shape),
        };
      }
      if ((a.pad === 'valid' || a.pad === 'same') && cin * cout <= MAX_NARROW_CHANNELS) {
        const pad = a.pad;
        return { x: () => inputGradAsConv(g, filter, x.shape, pad), filter: () => filterGradAsConv(x, g, kh, kw, pad) };
      }
      return fallback.gradFunc(dy, saved, attrs);
    },
  };
}

let installed = false;

/**
 * Replaces, for the process, the gradients whose tfjs form is slow on libtensorflow: Relu and Relu6 (tfjs: Step,
 * itself IsNan + Greater + Fill + two Selects, then Cast and Multiply, over every activation) become one
 * ReluGrad / Relu6Grad op; Conv2D's as `convGrad` says. Call once the 'tensorflow' backend is active.
 * `UNMASK_TFJS_GRADIENTS=1` keeps tfjs's gradients (to measure what these change).
 */
export function installNativeGradients(): void {
  if (installed || process.env.UNMASK_TFJS_GRADIENTS === '1') return;
  installed = true;
  registerMaskKernel(RELU_GRAD, 'ReluGrad');
  registerMaskKernel(RELU6_GRAD, 'Relu6Grad');
  for (const [kernelName, grad] of [
    ['Relu', RELU_GRAD],
    ['Relu6', RELU6_GRAD],
  ] as const) {
    const fallback = tf.getGradient(kernelName);
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        // Another backend made active later in the process (a cpu reference in a test) keeps tfjs's gradient.
        if (tf.getBackend() !== 'tensorflow' && fallback) return fallback.gradFunc(dy, saved, attrs);
        const [x] = saved as [tf.Tensor];
        return { x: () => tf.engine().runKernel(grad, { dy: dy as tf.Tensor, x }) as tf.Tensor };
      },
    });
  }
  const conv = tf.getGradient('Conv2D');
  if (conv) tf.registerGradient(convGrad(conv));
}
