// MobileNet v1 (α = 0.75) with Keras's layer names, and the MobileNetBased detector on its ImageNet backbone.
import * as tf from '@tensorflow/tfjs';
import { torchDefaultInit } from './init.js';
import { BackboneInput } from './preprocess.js';

export interface MobileNetBasedOptions {
  /** Seed for the weight initialisation; omit for a random start. */
  seed?: number;
  /** Side of the images the model takes (default 256); they are resized to 224 inside the model. */
  inputSize?: number;
}

/** Width multiplier α of the bundled ImageNet weights. */
export const MOBILENET_ALPHA = 0.75;
/** Side MobileNet was trained at on ImageNet; MobileNetBased resizes its input to it. */
export const MOBILENET_SIZE = 224;
/** The last ReLU feature map: [batch, 7, 7, 768] at 224 px (Grad-CAM's layer). */
export const MOBILENET_FEATURE_MAP = 'conv_pw_13_relu';
/** Global average pooling of that map: [batch, 768], the frozen-backbone features. */
export const MOBILENET_POOL = 'avg_pool';

/** Keras's BatchNormalization defaults, as in the bundled model.json. */
const BN = { axis: -1, momentum: 0.99, epsilon: 1e-3 } as const;

/** Output channels of the 13 pointwise convolutions at α = 1, and the stride of the depthwise one before each. */
const BLOCKS: readonly (readonly [filters: number, stride: 1 | 2])[] = [
  [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
  [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
];

/**
 * keras.applications.MobileNet (Keras 2.1.4, as converted to the bundled tfjs model) up to `conv_pw_13_relu`:
 * conv1 (3×3/2 'same', no bias) → BN → ReLU6, then 13 × [depthwise 3×3 (stride 1 or 2) → BN → ReLU6 →
 * pointwise 1×1 → BN → ReLU6], named conv_dw_i / conv_dw_i_bn / conv_dw_i_relu / conv_pw_i … exactly as the
 * weights file names them. Input [b, s, s, 3] in [−1, 1] → [b, s/32, s/32, 1024·α].
 */
export function mobileNetBackbone(input: tf.SymbolicTensor, alpha = MOBILENET_ALPHA, seed?: number): tf.SymbolicTensor {
  let layerIndex = 0;
  const init = () => tf.initializers.glorotUniform({ seed: seed == null ? undefined : seed * 1013 + ++layerIndex });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor): tf.SymbolicTensor => layer.apply(x) as tf.SymbolicTensor;
  const bnRelu = (x: tf.SymbolicTensor, name: string): tf.SymbolicTensor => {
    x = apply(tf.layers.batchNormalization({ name: `${name}_bn`, ...BN }), x);
    return apply(tf.layers.activation({ name: `${name}_relu`, activation: 'relu6' }), x);
  };
  let x = apply(
    tf.layers.conv2d({ name: 'conv1', filters: Math.round(32 * alpha), kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init() }),
    input,
  );
  x = bnRelu(x, 'conv1');
  BLOCKS.forEach(([filters, stride], i) => {
    const id = i + 1;
    x = apply(
      tf.layers.depthwiseConv2d({ name: `conv_dw_${id}`, kernelSize: 3, strides: stride, padding: 'same', depthMultiplier: 1, useBias: false, depthwiseInitializer: init() }),
      x,
    );
    x = bnRelu(x, `conv_dw_${id}`);
    x = apply(
      tf.layers.conv2d({ name: `conv_pw_${id}`, filters: Math.round(filters * alpha), kernelSize: 1, strides: 1, padding: 'same', useBias: false, kernelInitializer: init() }),
      x,
    );
    x = bnRelu(x, `conv_pw_${id}`);
  });
  return x;
}

/**
 * The MobileNet-based detector: `preprocess` (dataset-normalised 256 px → [−1, 1], bilinear resize to 224, no
 * weights) → MobileNet v1 α 0.75 backbone → `avg_pool` [batch, 768] → dense 1000, ReLU → 256, ReLU → 64, ReLU
 * → 2 logits (`head_fc1`…`head_fc4`, the XceptionBased head on 768 inputs, PyTorch's default initialisation).
 *
 * Input [batch, 256, 256, 3] normalised like every Unmask model; output logits [batch, 2] (index 1 = fake).
 * 2,858,394 trainable parameters (backbone 1,816,560 + head 1,041,834; 2,874,810 with the batch-norms' 16,416
 * moving statistics); `conv_pw_13_relu` [batch, 7, 7, 768]
 * is the Grad-CAM layer. create() starts from random weights; the registry's `pretrained.load` puts the
 * bundled ImageNet weights into the backbone.
 */
export function createMobileNetBased(options: MobileNetBasedOptions = {}): tf.LayersModel {
  const size = options.inputSize ?? 256;
  if (!Number.isInteger(size) || size < 32) throw new RangeError(`MobileNetBased inputSize must be an integer ≥ 32, got ${size}`);
  const seed = options.seed;
  if (seed != null && !Number.isFinite(seed)) throw new RangeError(`MobileNetBased seed must be a finite number, got ${seed}`);
  const input = tf.input({ shape: [size, size, 3], name: 'image' });
  const x = new BackboneInput({ name: 'preprocess', size: MOBILENET_SIZE }).apply(input) as tf.SymbolicTensor;
  const features = mobileNetBackbone(x, MOBILENET_ALPHA, seed);
  let h = tf.layers.globalAveragePooling2d({ name: MOBILENET_POOL }).apply(features) as tf.SymbolicTensor;
  let fanIn = h.shape[1]!;
  const widths = [1000, 256, 64, 2];
  widths.forEach((units, i) => {
    h = tf.layers
      .dense({
        name: `head_fc${i + 1}`,
        units,
        activation: i === widths.length - 1 ? 'linear' : 'relu',
        ...torchDefaultInit(fanIn, seed == null ? undefined : seed * 101 + i + 1),
      })
      .apply(h) as tf.SymbolicTensor;
    fanIn = units;
  });
  return tf.model({ inputs: input, outputs: h, name: 'MobileNetBased' });
}
