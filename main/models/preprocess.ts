// A weightless input layer that turns Unmask's normalised 256 px images into what an ImageNet backbone expects.
import * as tf from '@tensorflow/tfjs';
import { MEAN, STD } from '../data/transforms.js';

export interface BackboneInputArgs {
  /** Output side in pixels (bilinear resize with half-pixel centres, as Keras's Resizing / tf.image.resize). */
  size: number;
  /** Target pixel range: 'symmetric' = [−1, 1] (Keras's MobileNet / Xception `preprocess_input`, mode 'tf'). */
  range?: 'symmetric';
  name?: string;
}

/**
 * Input [batch, h, w, 3] normalised with the dataset's CIFAR mean/std ((v/255 − MEAN[c]) / STD[c]) →
 * output [batch, size, size, 3] in [−1, 1] (2·v/255 − 1): per channel x·2·STD[c] + (2·MEAN[c] − 1), then a
 * bilinear resize. Both steps are linear, so the order does not matter; the affine step runs first. No
 * weights, so checkpoints and weight imports never see it; differentiable (saliency maps reach the input).
 */
export class BackboneInput extends tf.layers.Layer {
  static readonly className = 'UnmaskBackboneInput';
  readonly size: number;
  readonly range: 'symmetric';

  constructor(args: BackboneInputArgs) {
    super({ name: args.name, trainable: false });
    if (!Number.isInteger(args.size) || args.size < 1) throw new RangeError(`BackboneInput size must be a positive integer, got ${args.size}`);
    this.size = args.size;
    this.range = args.range ?? 'symmetric';
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0] ?? null, this.size, this.size, shape[3] ?? 3];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
      const scale = tf.tensor1d(STD.map((s) => 2 * s));
      const offset = tf.tensor1d(MEAN.map((m) => 2 * m - 1));
      const y = tf.add(tf.mul(x, scale), offset) as tf.Tensor4D;
      if (x.shape[1] === this.size && x.shape[2] === this.size) return y;
      return tf.image.resizeBilinear(y, [this.size, this.size], false, true);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size, range: this.range };
  }
}
tf.serialization.registerClass(BackboneInput);
