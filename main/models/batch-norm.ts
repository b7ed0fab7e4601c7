// FastBatchNorm: channel-last batch normalisation whose training step avoids tfjs's full-size Tile in batchNorm's gradient.
import * as tf from '@tensorflow/tfjs';

type Weight = ReturnType<tf.layers.Layer['addWeight']>;

export interface FastBatchNormArgs {
  name: string;
  /** moving = momentum · moving + (1 − momentum) · batch (tfjs/Keras convention; 0.9 = PyTorch's momentum 0.1). */
  momentum?: number;
  epsilon?: number;
}

/** Column sums of a [m, c] matrix as one matrix product ([1, m] · [m, c] → [1, c]): one multithreaded GEMM. */
function columnSums(x2: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(tf.ones([1, x2.shape[0]]), x2));
}

/**
 * Same weights (`gamma`, `beta`, `moving_mean`, `moving_variance`), same maths and same inference-mode
 * output as `tf.layers.batchNormalization({axis: -1})`; only the training-mode gradient differs in cost.
 * tfjs's batchNorm gradient tiles 1/σ to the input's full shape ([b, h, w, c]), and the wasm backend's Tile
 * is a scalar loop: on the 2-core wasm engine that was ~3/4 of a small CNN's training step. Here the
 * training pass is one custom-gradient op: per-channel sums are GEMMs with a ones vector, the rest is
 * broadcast element-wise arithmetic.
 *
 * Training (`training: true`, as trainStep applies the model): normalises with the batch's mean and biased
 * variance over [b, h, w] and moves the moving statistics towards them. Inference: uses the moving statistics.
 * Input and output [..., c] (any rank ≥ 2, channels last).
 */
export class FastBatchNorm extends tf.layers.Layer {
  static readonly className = 'UnmaskFastBatchNorm';
  readonly momentum: number;
  readonly epsilon: number;
  private gamma!: Weight;
  private beta!: Weight;
  private movingMean!: Weight;
  private movingVariance!: Weight;

  constructor(args: FastBatchNormArgs) {
    super({ name: args.name });
    this.momentum = args.momentum ?? 0.9;
    this.epsilon = args.epsilon ?? 1e-5;
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new RangeError(`momentum must be in [0, 1), got ${this.momentum}`);
    if (!(this.epsilon > 0)) throw new RangeError(`epsilon must be > 0, got ${this.epsilon}`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const c = shape[shape.length - 1];
    if (c == null) throw new RangeError(`${this.name}: the channel dimension must be known`);
    this.gamma = this.addWeight('gamma', [c], 'float32', tf.initializers.ones(), undefined, true);
    this.beta = this.addWeight('beta', [c], 'float32', tf.initializers.zeros(), undefined, true);
    this.movingMean = this.addWeight('moving_mean', [c], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [c], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (kwargs.training !== true) {
      return tf.tidy(() => {
        const scale = tf.mul(this.gamma.read(), tf.rsqrt(tf.add(this.movingVariance.read(), this.epsilon)));
        return tf.add(tf.mul(tf.sub(x, this.movingMean.read()), scale), this.beta.read());
      });
    }
    const batch: { mean?: tf.Tensor; variance?: tf.Tensor } = {};
    const y = this.normaliseBatch(batch)(x, this.gamma.read(), this.beta.read());
    tf.tidy(() => {
      const keep = this.momentum;
      this.movingMean.write(tf.add(tf.mul(this.movingMean.read(), keep), tf.mul(batch.mean!, 1 - keep)));
      this.movingVariance.write(tf.add(tf.mul(this.movingVariance.read(), keep), tf.mul(batch.variance!, 1 - keep)));
    });
    tf.dispose([batch.mean!, batch.variance!]);
    return y;
  }

  /**
   * x [..., c], γ [c], β [c] → y = (x − μ_B) · γ/√(σ²_B + ε) + β, with its gradient written out:
   * dβ = Σ dy, dγ = Σ dy·x̂, dx = γ/√(σ²_B + ε) · (dy − dβ/m − x̂ · dγ/m) (m = elements per channel).
   * The batch's μ_B and σ²_B [c] are handed out through `batch` (kept; the caller disposes them).
   */
  private normaliseBatch(batch: { mean?: tf.Tensor; variance?: tf.Tensor }) {
    const epsilon = this.epsilon;
    return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [x, gamma, beta, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      const c = x.shape[x.rank - 1]!;
      const m = x.size / c;
      const x2 = tf.reshape(x, [m, c]) as tf.Tensor2D;
      const mean = tf.div(columnSums(x2), m);
      const centred = tf.sub(x2, mean) as tf.Tensor2D;
      const variance = tf.div(columnSums(tf.square(centred) as tf.Tensor2D), m);
      const inv = tf.rsqrt(tf.add(variance, epsilon));
      const scale = tf.mul(gamma, inv);
      const value = tf.reshape(tf.add(tf.mul(centred, scale), beta), x.shape);
      batch.mean = tf.keep(tf.reshape(mean, [c]));
      batch.variance = tf.keep(tf.reshape(variance, [c]));
      save([centred, inv, scale]);
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
        const [xc, invStd, k] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const dy2 = tf.reshape(dy, [m, c]) as tf.Tensor2D;
        const dBeta = columnSums(dy2);
        const dyXc = columnSums(tf.mul(dy2, xc) as tf.Tensor2D);
        const dGamma = tf.mul(dyXc, invStd);
        // dx = k·dy − xc · (k·inv²·Σdy·xc / m) − k·Σdy / m
        const a = tf.div(tf.mul(tf.mul(k, tf.square(invStd)), dyXc), m);
        const b = tf.div(tf.mul(k, dBeta), m);
        const dx = tf.sub(tf.mul(dy2, k), tf.add(tf.mul(xc, a), b));
        return [tf.reshape(dx, x.shape), tf.reshape(dGamma, [c]), tf.reshape(dBeta, [c])];
      };
      return { value, gradFunc };
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(FastBatchNorm);
