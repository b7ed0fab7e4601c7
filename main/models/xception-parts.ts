// XceptionParts: Xception's face-region grid on the whole image plus zoomed crops of the eyes, nose, mouth and cheeks.
import * as tf from '@tensorflow/tfjs';
import { FACE_PARTS, PART_BOX_VALUES, PART_MIRRORED, partBoxes, transformLandmarks } from '../data/face-parts.js';
import { UnmaskError } from '../engine/errors.js';
import { FeatureNormalization } from './feature-norm.js';
import { torchDefaultInit } from './init.js';
import { GroupParts, PartCrops } from './part-crops.js';
import { BackboneInput } from './preprocess.js';
import { GlobalStdPooling2D } from './std-pool.js';
import { resolve, xceptionBackbone, XCEPTION_REGION_BLOCKS, type XceptionBasedOptions } from './xception.js';

/** Layer-name prefix of the part branch (a second copy of Xception's backbone, with the same ImageNet weights). */
export const PART_PREFIX = 'part_';
/** Blocks of the part branch whose channel means and standard deviations describe each part. */
export const PART_BLOCKS = [2, 3, 4, 6, 8, 10, 12] as const;
/** Side of each zoomed part crop (a 0.9 inter-ocular-distance square, about 60 px of a 256 px face, at ~1.6×). */
export const PART_CROP_SIZE = 96;
/** The pooled features that the linear head reads (the frozen trunk's output, cached per image view). */
export const PARTS_FEATURE_LAYER = 'parts_features';
/** Grad-CAM layer: block 12 of the whole-image branch, [batch, 16, 16, 728]. */
export const XCEPTION_PARTS_CAM = 'add_10';
/** The model's second input: each image's part boxes [b, 6, 3] ([x0, y0, side] in pixels). */
export const PART_BOXES_INPUT = 'part_boxes';

export interface XceptionPartsOptions extends XceptionBasedOptions {
  /** Side of each part crop in pixels (default PART_CROP_SIZE). */
  partSize?: number;
}

/**
 * XceptionParts, for face composites and swaps: inputs `image` [b, 256, 256, 3] (dataset-normalised) and
 * `part_boxes` [b, 6, 3] (from the face's 68 landmarks: left eye, right eye, nose, mouth, left cheek, right cheek).
 *
 * - Whole image: Xception's ImageNet backbone to block 12; channel means of blocks 8, 10, 12 over a 4 × 4 grid
 *   (34,944 values, as XceptionRegions).
 * - Parts: `part_crops` resamples each box to `partSize` px (right-hand parts mirrored, so the two eyes and the
 *   two cheeks are seen the same way round) → a second copy of the backbone (`part_…` layers, same weights) →
 *   per part, the channel mean and standard deviation of blocks 2, 3, 4, 6, 8, 10, 12 (8,048 values; 48,288 for six).
 * - Both concatenated (`parts_features`, 83,232) → `feature_norm` → `head_fc1`, linear → 2 logits.
 *
 * Why: composites paste an eye, a nose or a mouth from another face; at 256 px the whole-image backbone sees
 * each part only a few cells wide. Chosen with frozen-feature linear probes, 5-fold cross-validated on
 * fakes_dataset's train + val (test never used): region grid alone 0.765 (0.788 averaged with the mirror view),
 * part crops alone 0.808, both 0.838 (flip-averaged); eyes only 0.816, eyes + nose + mouth 0.832.
 */
export function createXceptionParts(options: XceptionPartsOptions = {}): tf.LayersModel {
  const r = resolve('XceptionParts', options.inputSize ?? 256, options.widthDivisor ?? 1, options.seed);
  const partSize = options.partSize ?? PART_CROP_SIZE;
  const image = tf.input({ shape: [r.size, r.size, 3], name: 'image' });
  const boxes = tf.input({ shape: [FACE_PARTS.length, PART_BOX_VALUES], name: PART_BOXES_INPUT });
  const scaled = new BackboneInput({ name: 'preprocess', size: r.size }).apply(image) as tf.SymbolicTensor;

  const whole: tf.SymbolicTensor[] = [];
  xceptionBackbone(scaled, r, { lastBlock: 12, blockOutputs: whole });
  const regions = XCEPTION_REGION_BLOCKS.map((b) => {
    const map = whole[b - 1]!;
    const cell = Math.max(1, Math.floor(map.shape[1]! / 4));
    const pooled = tf.layers.averagePooling2d({ name: `region_pool_b${b}`, poolSize: cell, strides: cell, padding: 'valid' }).apply(map) as tf.SymbolicTensor;
    return tf.layers.flatten({ name: `region_flat_b${b}` }).apply(pooled) as tf.SymbolicTensor;
  });

  // Crops of the dataset-normalised image, then the same [−1, 1] scaling (both linear: the order does not matter).
  const crops = new PartCrops({ name: 'part_crops', size: partSize, mirrored: PART_MIRRORED }).apply([image, boxes]) as tf.SymbolicTensor;
  const cropsScaled = new BackboneInput({ name: `${PART_PREFIX}preprocess`, size: partSize }).apply(crops) as tf.SymbolicTensor;
  const parts: tf.SymbolicTensor[] = [];
  xceptionBackbone(cropsScaled, r, { lastBlock: 12, blockOutputs: parts, prefix: PART_PREFIX });
  const stats = PART_BLOCKS.flatMap((b) => [
    tf.layers.globalAveragePooling2d({ name: `${PART_PREFIX}mean_b${b}` }).apply(parts[b - 1]!) as tf.SymbolicTensor,
    new GlobalStdPooling2D({ name: `${PART_PREFIX}std_b${b}` }).apply(parts[b - 1]!) as tf.SymbolicTensor,
  ]);
  const perPart = tf.layers.concatenate({ name: `${PART_PREFIX}stats`, axis: -1 }).apply(stats) as tf.SymbolicTensor;
  const grouped = new GroupParts({ name: `${PART_PREFIX}grouped`, parts: FACE_PARTS.length }).apply(perPart) as tf.SymbolicTensor;

  let h = tf.layers.concatenate({ name: PARTS_FEATURE_LAYER, axis: -1 }).apply([...regions, grouped]) as tf.SymbolicTensor;
  h = new FeatureNormalization({ name: 'feature_norm' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers
    .dense({ name: 'head_fc1', units: 2, ...torchDefaultInit(h.shape[1]!, r.seed == null ? undefined : r.seed * 101 + 1) })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: [image, boxes], outputs: h, name: 'XceptionParts' });
}

/** Whether a detector reads face-part boxes besides the image (its second input). */
export function readsPartBoxes(model: tf.LayersModel): boolean {
  return model.inputs.some((i) => i.name.startsWith(PART_BOXES_INPUT));
}

/** The whole-image backbone's layers (Keras's names, which ImageNet weights load into) and their part-branch copies. */
export function backboneLayerPairs(model: tf.LayersModel): { whole: tf.layers.Layer; part: tf.layers.Layer }[] {
  return model.layers
    .filter((l) => l.name.startsWith(PART_PREFIX) && l.weights.length > 0)
    .map((part) => ({ whole: model.getLayer(part.name.slice(PART_PREFIX.length)), part }));
}

/** Part boxes [n, 6, 3] of n images from their landmarks (null: no face found, the template's boxes), of the mirror images with `flip`. */
export function partBoxesTensor(landmarks: readonly (readonly number[] | null)[], flip = false): tf.Tensor3D {
  const values = FACE_PARTS.length * PART_BOX_VALUES;
  const out = new Float32Array(landmarks.length * values);
  landmarks.forEach((l, i) => out.set(partBoxes(l && flip ? transformLandmarks(l, { dx: 0, dy: 0, flip: true }) : l), i * values));
  return tf.tensor3d(out, [landmarks.length, FACE_PARTS.length, PART_BOX_VALUES]);
}

/**
 * A detector's inputs for images [n, 256, 256, 3]: the images alone, or with their part boxes when it reads
 * them (then `landmarks` must give each image's, as the images show them; `flip`: the images are mirrored).
 */
export function detectorInputs(
  model: tf.LayersModel,
  images: tf.Tensor4D,
  landmarks?: readonly (readonly number[] | null)[],
  flip = false,
): tf.Tensor | tf.Tensor[] {
  if (!readsPartBoxes(model)) return images;
  if (!landmarks || landmarks.length !== images.shape[0])
    throw new UnmaskError('INTERNAL', `${model.name} reads face-part boxes: give the landmarks of each of the ${images.shape[0]} images`);
  return [images, partBoxesTensor(landmarks, flip)];
}
