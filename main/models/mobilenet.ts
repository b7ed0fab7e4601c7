// MobileNet v1 (α = 0.75) with Keras's layer names, and the MobileNetBased detector on its ImageNet backbone.
import * as tf from '@tensorflow/tfjs';
import { FeatureNormalization } from './feature-norm.js';
import { torchDefaultInit } from './init.js';
import { GlobalStdPooling2D } from './std-pool.js';
import { BackboneInput } from './preprocess.js';

export interface MobileNetBasedOptions {
  /** Seed for the weight initialisation; omit for a random start. */
  seed?: number;
  /** Side of the images the model takes (default 256); the backbone runs at that size, not resized. */
  inputSize?: number;
}

/** Width multiplier α of the bundled ImageNet weights. */
export const MOBILENET_ALPHA = 0.75;
/** The last ReLU feature map: [batch, 8, 8, 768] at 256 px (Grad-CAM's layer). */
export const MOBILENET_FEATURE_MAP = 'conv_pw_13_relu';
/** The pooled features: every block's average and standard-deviation pools concatenated, [batch, 8928] (the frozen-backbone features). */
export const MOBILENET_POOL = 'avg_pool';
/** Standardisation of those features (fitted to the training features), the first layer of the head. */
export const MOBILENET_FEATURE_NORM = 'feature_norm';

/** The output of each of the 13 depthwise-separable blocks (the cut points of partial unfreezing). */
export const MOBILENET_BLOCK_OUTPUTS: readonly string[] = Array.from({ length: 13 }, (_, i) => `conv_pw_${i + 1}_relu`);

/** Keras's BatchNormalization defaults, as in the bundled model.json. */
const BN = { axis: -1, momentum: 0.99, epsilon: 1e-3 } as const;

/** Output channels of the 13 pointwise convolutions at α = 1, and the stride of the depthwise one before each. */
const BLOCKS: readonly (readonly [filters: number, stride: 1 | 2])[] = [
  [64, 1],
  [128, 2],
  [128, 1],
  [256, 2],
  [256, 1],
  [512, 2],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [1024, 2],
  [1024, 1],
];

/**
 * keras.applications.MobileNet (Keras 2.1.4, as converted to the bundled tfjs model) up to `conv_pw_13_relu`:
 * conv1 (3×3/2 'same', no bias) → BN → ReLU6, then 13 × [depthwise 3×3 (stride 1 or 2) → BN → ReLU6 →
 * pointwise 1×1 → BN → ReLU6], named conv_dw_i / conv_dw_i_bn / conv_dw_i_relu / conv_pw_i … exactly as the
 * weights file names them. Input [b, s, s, 3] in [−1, 1] → [b, s/32, s/32, 1024·α]. `blockOutputs`, when
 * given, receives the 13 `conv_pw_i_relu` outputs in order.
 */
export function mobileNetBackbone(input: tf.SymbolicTensor, alpha = MOBILENET_ALPHA, seed?: number, blockOutputs?: tf.SymbolicTensor[]): tf.SymbolicTensor {
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
      tf.layers.depthwiseConv2d({
        name: `conv_dw_${id}`,
        kernelSize: 3,
        strides: stride,
        padding: 'same',
        depthMultiplier: 1,
        useBias: false,
        depthwiseInitializer: init(),
      }),
      x,
    );
    x = bnRelu(x, `conv_dw_${id}`);
    x = apply(
      tf.layers.conv2d({
        name: `conv_pw_${id}`,
        filters: Math.round(filters * alpha),
        kernelSize: 1,
        strides: 1,
        padding: 'same',
        useBias: false,
        kernelInitializer: init(),
      }),
      x,
    );
    x = bnRelu(x, `conv_pw_${id}`);
    blockOutputs?.push(x);
  });
  return x;
}

/**
 * The MobileNet-based detector: `preprocess` (dataset-normalised → [−1, 1], no weights, no resize) → MobileNet
 * v1 α 0.75 backbone at the input's 256 px → for each of the 13 blocks' outputs (48 + 96 + … + 768 = 4464
 * channels) the global average pool (`pool_pw_i`) and the spatial standard deviation (`std_pw_i`), all
 * concatenated as `avg_pool` [batch, 8928] → `feature_norm` (per-feature standardisation fitted to the
 * training features, 17,856 non-trainable values) → dense 1000, ReLU → 256, ReLU → 64, ReLU → 2 logits
 * (`head_fc1`…`head_fc4`, the XceptionBased head on 8928 inputs, PyTorch's default initialisation).
 *
 * Why multi-level, second-order and full size: GAN traces live in low/mid-level statistics and high
 * frequencies. In logistic-regression probes on synthetic_dataset's validation split (ImageNet weights
 * frozen), the last block's average pool gives AUC 0.873 at 224 px and 0.919 at 256 px, middle blocks (7–11)
 * beat it, and all 13 blocks give 0.964 (average pools) and 0.970 (average + standard deviation).
 *
 * Input [batch, 256, 256, 3] normalised like every Unmask model; output logits [batch, 2] (index 1 = fake).
 * 11,018,394 trainable parameters (backbone 1,816,560 + head 9,201,834; 11,052,666 with the batch-norms'
 * 16,416 moving statistics and the feature standardisation's 17,856); `conv_pw_13_relu` [batch, 8, 8, 768] is
 * the Grad-CAM layer. create() starts from random weights and an identity `feature_norm`; the registry's
 * `pretrained.load` puts the bundled ImageNet weights into the backbone, and training fits `feature_norm`.
 */
export function createMobileNetBased(options: MobileNetBasedOptions = {}): tf.LayersModel {
  const size = options.inputSize ?? 256;
  if (!Number.isInteger(size) || size < 32) throw new RangeError(`MobileNetBased inputSize must be an integer ≥ 32, got ${size}`);
  const seed = options.seed;
  if (seed != null && !Number.isFinite(seed)) throw new RangeError(`MobileNetBased seed must be a finite number, got ${seed}`);
  const input = tf.input({ shape: [size, size, 3], name: 'image' });
  const x = new BackboneInput({ name: 'preprocess', size }).apply(input) as tf.SymbolicTensor;
  const blocks: tf.SymbolicTensor[] = [];
  mobileNetBackbone(x, MOBILENET_ALPHA, seed, blocks);
  const pools = blocks.flatMap((b, i) => [
    tf.layers.globalAveragePooling2d({ name: `pool_pw_${i + 1}` }).apply(b) as tf.SymbolicTensor,
    new GlobalStdPooling2D({ name: `std_pw_${i + 1}` }).apply(b) as tf.SymbolicTensor,
  ]);
  let h = tf.layers.concatenate({ name: MOBILENET_POOL, axis: -1 }).apply(pools) as tf.SymbolicTensor;
  h = new FeatureNormalization({ name: MOBILENET_FEATURE_NORM }).apply(h) as tf.SymbolicTensor;
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
