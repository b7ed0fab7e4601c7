// XceptionStats: the channel means and spreads of seven Xception blocks over the whole image — for GAN faces.
import * as tf from '@tensorflow/tfjs';
import { FeatureNormalization } from './feature-norm.js';
import { torchDefaultInit } from './init.js';
import { BackboneInput } from './preprocess.js';
import { GlobalStdPooling2D } from './std-pool.js';
import { resolve, xceptionBackbone, type XceptionBasedOptions } from './xception.js';

/** Blocks whose channel statistics XceptionStats reads: early ones carry up-sampling traces, later ones texture. */
export const STATS_BLOCKS = [2, 3, 4, 6, 8, 10, 12] as const;
/** The pooled features the linear head reads (cached per image view when the backbone is frozen). */
export const STATS_FEATURE_LAYER = 'block_stats';
/** Grad-CAM layer: block 12's output, [batch, 16, 16, 728] at 256 px. */
export const XCEPTION_STATS_CAM = 'add_10';

/**
 * XceptionStats: `preprocess` → Xception's ImageNet backbone to block 12 → for blocks 2, 3, 4, 6, 8, 10 and 12 the
 * mean and the standard deviation of each channel over the whole map (`block_stats` [b, 8048]) → `feature_norm`
 * → `head_fc1`, linear → 2 logits. Input [b, 256, 256, 3] (dataset-normalised).
 *
 * Why: GAN faces differ from photos in texture statistics at every scale, wherever they are in the image
 * (StyleGAN's up-sampling leaves periodic traces, Durall et al., CVPR 2020). Chosen with frozen-feature linear
 * probes, 5-fold cross-validated on synthetic_dataset's train + val (test never used): these statistics 0.978,
 * XceptionRegions' 4 × 4 region grid 0.963, XceptionParts' part crops 0.963 (with the grid 0.973).
 */
export function createXceptionStats(options: XceptionBasedOptions = {}): tf.LayersModel {
  const r = resolve('XceptionStats', options.inputSize ?? 256, options.widthDivisor ?? 1, options.seed);
  const input = tf.input({ shape: [r.size, r.size, 3], name: 'image' });
  const scaled = new BackboneInput({ name: 'preprocess', size: r.size }).apply(input) as tf.SymbolicTensor;
  const blocks: tf.SymbolicTensor[] = [];
  xceptionBackbone(scaled, r, { lastBlock: 12, blockOutputs: blocks });
  const stats = STATS_BLOCKS.flatMap((b) => [
    tf.layers.globalAveragePooling2d({ name: `mean_b${b}` }).apply(blocks[b - 1]!) as tf.SymbolicTensor,
    new GlobalStdPooling2D({ name: `std_b${b}` }).apply(blocks[b - 1]!) as tf.SymbolicTensor,
  ]);
  let h = tf.layers.concatenate({ name: STATS_FEATURE_LAYER, axis: -1 }).apply(stats) as tf.SymbolicTensor;
  h = new FeatureNormalization({ name: 'feature_norm' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers
    .dense({ name: 'head_fc1', units: 2, ...torchDefaultInit(h.shape[1]!, r.seed == null ? undefined : r.seed * 101 + 1) })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: h, name: 'XceptionStats' });
}
