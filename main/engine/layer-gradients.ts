// Gradients of convolution and batch normalisation written for the CPU engines (native libtensorflow and wasm),
// where tfjs's generic forms run more passes or slower kernels. Other backends (tfjs-node-gpu, the cpu reference)
// keep tfjs's gradients.
import * as tf from '@tensorflow/tfjs';
import { floatAttrs, onNativeCpu, type NodeBackend } from './native/kernels.js';

/** The engine these gradients were measured on, if it is the active one. */
function fastEngine(): 'native' | 'wasm' | null {
  if (onNativeCpu()) return 'native';
  return tf.getBackend() === 'wasm' ? 'wasm' : null;
}

const isOnes = (v: unknown): boolean => v == null || (Array.isArray(v) ? v.every((d) => d === 1) : v === 1);

/**
 * Conv2D's gradient with 1×1 filters (Xception's and MobileNet's pointwise layers, stride 1, undilated, NHWC) as
 * two matrix products: x [b, h, w, cin], filter [1, 1, cin, cout], dy [b, h, w, cout] → dx = dy · filterᵀ,
 * dfilter = xᵀ · dy. Measured on 3 December on Xception's 728→1024 and 1536→2048 layers: 0.6–1.0× the time of
 * libtensorflow's Conv2DBackpropInput/Filter, 0.3–0.5× that of the wasm engine's (which pack the filter or the
 * output gradient for XNNPACK anew each step). Every other convolution keeps tfjs's gradient, which runs the
 * backprop kernels: on SimpleNet's 7×7 layers libtensorflow's Conv2DBackpropFilter (oneDNN) takes a quarter to an
 * eighth of the time of the filter gradient written as one forward convolution with the batch as channels.
 */
function convGrad(fallback: tf.GradConfig): tf.GradConfig {
  return {
    ...fallback,
    gradFunc: (dy, saved, attrs) => {
      if (fastEngine() == null) return fallback.gradFunc(dy, saved, attrs);
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const a = attrs as unknown as { strides: number | number[]; dilations: number | number[]; dataFormat?: string };
      const [kh, kw, cin, cout] = filter.shape;
      const pointwise = kh === 1 && kw === 1 && isOnes(a.strides) && isOnes(a.dilations) && (a.dataFormat ?? 'NHWC') === 'NHWC';
      if (!pointwise) return fallback.gradFunc(dy, saved, attrs);
      const g = (Array.isArray(dy) ? dy[0]! : dy) as tf.Tensor4D;
      const rows = g.shape[0] * g.shape[1] * g.shape[2];
      const dy2 = (): tf.Tensor2D => tf.reshape(g, [rows, cout]);
      return {
        x: () => tf.reshape(tf.matMul(dy2(), tf.reshape(filter, [cin, cout]), false, true), x.shape),
        filter: () => tf.reshape(tf.matMul(tf.reshape(x, [rows, cin]), dy2(), true, false), filter.shape),
      };
    },
  };
}

/** TensorFlow's FusedBatchNormGrad with fixed statistics (NHWC): [dx, dγ, dβ] in one op. */
function frozenBatchNormGrad(dy: tf.Tensor, x: tf.Tensor, scale: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, epsilon: number): tf.Tensor[] {
  const b = tf.backend() as unknown as NodeBackend;
  const attrs = [
    ...floatAttrs(b),
    { name: 'epsilon', type: b.binding.TF_ATTR_FLOAT, value: epsilon },
    { name: 'data_format', type: b.binding.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: b.binding.TF_ATTR_BOOL, value: false },
  ];
  const out = b.executeMultipleOutputs('FusedBatchNormGrad', attrs, [dy, x, scale, mean, variance], 5);
  tf.dispose(out.slice(3));
  return out.slice(0, 3);
}

/**
 * The gradient of batch normalisation with fixed statistics (inference mode, as `--unfreeze-blocks` trains
 * pretrained blocks), per channel (mean [c], channels last): dx = dy·γ/√(σ² + ε), dγ = Σ dy·(x − μ) / √(σ² + ε),
 * dβ = Σ dy. tfjs's form tiles 1/√(σ² + ε) to the input's shape and computes x − μ and dy·γ whether or not
 * they are used: about 8 passes over the activations per layer (28 of 240 ms of XceptionBased's `--unfreeze-blocks 2`
 * step on the native engine, 512 of its 2,240 ms on wasm, whose Tile is a scalar loop; measured on 3 December).
 * On the native engine NHWC input runs TensorFlow's FusedBatchNormGrad (the three in one op: 6.4 against 11.6 ms as
 * separate ops on [8, 16, 16, 1024]); otherwise 1 pass for dx and 3 for dγ (their sums on wasm: sum.ts). With respect to the
 * statistics (training mode, where they are computed from x): dμ = −γ/√(σ² + ε) · Σ dy,
 * dσ² = −½ γ (σ² + ε)^(−3/2) · Σ dy·(x − μ). Other shapes keep tfjs's gradient.
 */
function batchNormGrad(fallback: tf.GradConfig): tf.GradConfig {
  return {
    ...fallback,
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
      const g = (Array.isArray(dy) ? dy[0]! : dy) as tf.Tensor;
      const engine = fastEngine();
      if (engine == null || mean.rank !== 1 || variance.rank !== 1 || x.shape[x.rank - 1] !== mean.shape[0]) {
        return fallback.gradFunc(dy, saved, attrs);
      }
      const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
      const axes = x.shape.slice(0, -1).map((_, i) => i);
      const invStd = (): tf.Tensor => tf.rsqrt(tf.add(variance, varianceEpsilon));
      const gamma = (t: tf.Tensor): tf.Tensor => (scale == null ? t : tf.mul(scale, t));
      /** Σ dy·(x − μ) per channel */
      const dyCentred = (): tf.Tensor => tf.sum(tf.mul(g, tf.sub(x, mean)), axes);
      const statistics = {
        mean: () => tf.neg(gamma(tf.mul(tf.sum(g, axes), invStd()))),
        variance: () => tf.mul(gamma(tf.mul(dyCentred(), tf.pow(invStd(), 3))), -0.5),
      };
      if (engine === 'native' && x.rank === 4) {
        // Computed here, outside the closures, as tfjs's own gradient computes its shared terms.
        const [dx, dScale, dOffset] = frozenBatchNormGrad(g, x, scale ?? tf.onesLike(mean), mean, variance, varianceEpsilon);
        return { x: () => dx!, scale: () => dScale!, offset: () => dOffset!, ...statistics };
      }
      return {
        x: () => tf.mul(g, gamma(invStd())),
        scale: () => tf.mul(dyCentred(), invStd()),
        offset: () => tf.sum(g, axes),
        ...statistics,
      };
    },
  };
}

let installed = false;

/** Replaces, for the process, Conv2D's and FusedBatchNorm's gradients (idempotent). Call once an engine is active. */
export function installLayerGradients(): void {
  if (installed || process.env.UNMASK_TFJS_GRADIENTS === '1') return;
  installed = true;
  const conv = tf.getGradient('Conv2D');
  if (conv) tf.registerGradient(convGrad(conv));
  const batchNorm = tf.getGradient('FusedBatchNorm');
  if (batchNorm) tf.registerGradient(batchNormGrad(batchNorm));
}
