// Xception exactly as keras.applications.Xception (same layers, same layer names), plus the XceptionBased detector.
import * as tf from '@tensorflow/tfjs';
import { torchDefaultInit } from './init.js';
import { BackboneInput } from './preprocess.js';
import { FeatureNormalization } from './feature-norm.js';
import { resolve, xceptionBackbone } from './xception-backbone.js';

// The backbone lives in its own module; XceptionParts and XceptionStats import it from here.
export { resolve, xceptionBackbone, type BackboneCut, type Resolved } from './xception-backbone.js';

export interface XceptionOptions {
  /** Input side in pixels; Keras's default is 299 and its minimum 71. */
  inputSize?: number;
  /** Add Keras's top (`avg_pool` + `predictions` softmax); without it the model ends at `block14_sepconv2_act`. */
  includeTop?: boolean;
  /** Width of `predictions`; only used with `includeTop`. */
  classes?: number;
  /** Divides every backbone channel count (rounded, at least 1). 1 = Keras's widths; larger only for small test fixtures. */
  widthDivisor?: number;
  /** Seed for the weight initialisation; omit for a random start. */
  seed?: number;
}

export interface XceptionBasedOptions {
  /** Input side in pixels; the seed trains at 256 (minimum 71). */
  inputSize?: number;
  /** Seed for the weight initialisation; omit for a random start. */
  seed?: number;
  /** Divides every backbone channel count (the head keeps its widths); only for small test fixtures. */
  widthDivisor?: number;
}

/**
 * The output of each of Xception's 14 blocks: block 1's second ReLU, the residual additions of blocks 2–13
 * (Keras's fresh-session names `add` … `add_11`), block 14's last ReLU (the cut points of partial unfreezing).
 */
export const XCEPTION_BLOCK_OUTPUTS: readonly string[] = [
  'block1_conv2_act',
  ...Array.from({ length: 12 }, (_, i) => (i === 0 ? 'add' : `add_${i}`)),
  'block14_sepconv2_act',
];

/**
 * keras.applications.Xception (weights=None): entry flow (blocks 1–4), middle flow (blocks 5–12), exit flow
 * (blocks 13–14), with Keras's layer names so Keras .h5 weights map onto it by name.
 *
 * Input [batch, s, s, 3] (Keras's Xception preprocessing scales pixels to [−1, 1]).
 * Output with `includeTop` (default): class probabilities [batch, classes] (softmax, `predictions`);
 * without: features [batch, h, w, 2048] from `block14_sepconv2_act` (h = w = 8 at 256 px, 10 at 299 px).
 * At 299 px with the top: 22,910,480 weights, 22,855,952 of them trainable (BN moving statistics are not).
 */
export function createXception(options: XceptionOptions = {}): tf.LayersModel {
  const r = resolve('Xception', options.inputSize ?? 299, options.widthDivisor ?? 1, options.seed);
  const includeTop = options.includeTop ?? true;
  const classes = options.classes ?? 1000;
  if (includeTop && (!Number.isInteger(classes) || classes < 1)) {
    throw new RangeError(`Xception classes must be a positive integer, got ${classes}`);
  }
  const input = tf.input({ shape: [r.size, r.size, 3], name: 'input_1' });
  let x = xceptionBackbone(input, r);
  if (includeTop) {
    x = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .dense({
        name: 'predictions',
        units: classes,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: r.seed == null ? undefined : r.seed * 1009 }),
      })
      .apply(x) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: x, name: 'xception' });
}

/**
 * The Xception-based detector: `preprocess` (dataset-normalised input → [−1, 1], weightless) → Xception backbone (no top) → global average pool `avg_pool` [batch, 2048] →
 * dense 1000, ReLU → dense 256, ReLU → dense 64, ReLU → dense 2 (logits), named `head_fc1`…`head_fc4`, with
 * PyTorch's default initialisation in the head.
 *
 * Input [batch, 256, 256, 3], output logits [batch, 2] (index 1 = fake). 23,128,786 trainable parameters.
 * `block14_sepconv2_act` [batch, 8, 8, 2048] is the last convolutional feature map (the Grad-CAM target).
 */
export function createXceptionBased(options: XceptionBasedOptions = {}): tf.LayersModel {
  const r = resolve('XceptionBased', options.inputSize ?? 256, options.widthDivisor ?? 1, options.seed);
  const at = (k: number): number | undefined => (r.seed == null ? undefined : r.seed * 101 + k);
  const input = tf.input({ shape: [r.size, r.size, 3], name: 'image' });
  // Dataset-normalised pixels → Keras's Xception range [−1, 1] (no resize), so ImageNet weights see what they were trained on.
  const scaled = new BackboneInput({ name: 'preprocess', size: r.size }).apply(input) as tf.SymbolicTensor;
  const features = xceptionBackbone(scaled, r);
  let h = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(features) as tf.SymbolicTensor;
  let fanIn = h.shape[1]!;
  const widths = [1000, 256, 64, 2];
  widths.forEach((units, i) => {
    const last = i === widths.length - 1;
    h = tf.layers
      .dense({
        name: `head_fc${i + 1}`,
        units,
        activation: last ? 'linear' : 'relu',
        ...torchDefaultInit(fanIn, at(i + 1)),
      })
      .apply(h) as tf.SymbolicTensor;
    fanIn = units;
  });
  return tf.model({ inputs: input, outputs: h, name: 'XceptionBased' });
}

/** The middle-flow blocks whose region statistics XceptionRegions reads (outputs `add_6`, `add_8`, `add_10`). */
export const XCEPTION_REGION_BLOCKS = [8, 10, 12] as const;
/** Grad-CAM layer of XceptionRegions: block 12's output, [batch, 16, 16, 728] at 256 px. */
export const XCEPTION_REGIONS_CAM = 'add_10';

/**
 * XceptionRegions: a detector of local inconsistencies on an aligned face crop. `preprocess` → Xception's ImageNet
 * backbone up to block 12 (the end of the middle flow, [b, 16, 16, 728] at 256 px; blocks 13–14 are not built)
 * → for blocks 8, 10 and 12, the mean of each channel over a 4 × 4 grid of face regions (`region_pool_b8` …,
 * 16 × 728 values each), concatenated as `region_pool` [b, 34944] → `feature_norm` (standardisation fitted to
 * the training features) → `head_fc1`, a linear layer to 2 logits (69,890 trainable parameters in the head).
 *
 * Why: face composites and swaps replace the eyes, nose or mouth of an otherwise real face; global pooling mixes
 * those regions with the rest, a region grid keeps where each statistic comes from. Chosen on fakes_dataset's
 * validation split with frozen-feature probes (logistic regression): region means of blocks 8/10/12 reached
 * AUC 0.769, one block's 0.763, global pools of the same blocks 0.729, the whole network's 0.713.
 */
export function createXceptionRegions(options: XceptionBasedOptions = {}): tf.LayersModel {
  const r = resolve('XceptionRegions', options.inputSize ?? 256, options.widthDivisor ?? 1, options.seed);
  const input = tf.input({ shape: [r.size, r.size, 3], name: 'image' });
  const scaled = new BackboneInput({ name: 'preprocess', size: r.size }).apply(input) as tf.SymbolicTensor;
  const blocks: tf.SymbolicTensor[] = [];
  xceptionBackbone(scaled, r, { lastBlock: 12, blockOutputs: blocks });
  const pools = XCEPTION_REGION_BLOCKS.map((b) => {
    const map = blocks[b - 1]!;
    const cell = Math.max(1, Math.floor(map.shape[1]! / 4));
    const pooled = tf.layers.averagePooling2d({ name: `region_pool_b${b}`, poolSize: cell, strides: cell, padding: 'valid' }).apply(map) as tf.SymbolicTensor;
    return tf.layers.flatten({ name: `region_flat_b${b}` }).apply(pooled) as tf.SymbolicTensor;
  });
  let h = tf.layers.concatenate({ name: 'region_pool', axis: -1 }).apply(pools) as tf.SymbolicTensor;
  h = new FeatureNormalization({ name: 'feature_norm' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers
    .dense({ name: 'head_fc1', units: 2, ...torchDefaultInit(h.shape[1]!, r.seed == null ? undefined : r.seed * 101 + 1) })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: h, name: 'XceptionRegions' });
}
