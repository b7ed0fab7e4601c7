// GlobalStdPooling2D: each channel's standard deviation over the spatial positions, a second-order companion to average pooling.
import * as tf from '@tensorflow/tfjs';

/**
 * Input [batch, h, w, c] → [batch, c]: sqrt(var + ε) of each channel over h × w (biased variance). ε keeps
 * the gradient finite where a ReLU channel is constant (variance 0), so saliency and fine-tuning stay finite.
 * Spatial spread of mid-level activations is where GAN up-sampling traces show (Durall et al., "Watch your
 * Up-Convolution", CVPR 2020, find them in the spectrum; a channel's variance is its non-DC energy).
 */
export class GlobalStdPooling2D extends tf.layers.Layer {
  static readonly className = 'UnmaskGlobalStdPooling2D';
  readonly epsilon: number;

  constructor(args: { name: string; epsilon?: number }) {
    super({ name: args.name, trainable: false });
    this.epsilon = args.epsilon ?? 1e-6;
    if (!(this.epsilon > 0)) throw new RangeError(`epsilon must be > 0, got ${this.epsilon}`);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== 4) throw new RangeError(`${this.name}: input must be [batch, h, w, c], got [${shape}]`);
    return [shape[0] ?? null, shape[3] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
      return tf.sqrt(tf.add(tf.moments(x, [1, 2]).variance, this.epsilon));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(GlobalStdPooling2D);
