// Frozen-backbone fine-tuning: cached backbone features once per image view, then epochs of the head alone.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { type FaceDataset, type BadFile } from '../data/index.js';
import { FaceFinder } from '../data/face-cache.js';
import { PART_BOXES_VERSION } from '../data/face-parts.js';
import { faceDetectorVersion } from '../data/faces.js';
import { UnmaskError } from '../engine/errors.js';
import { tidyRead } from '../engine/tidy-read.js';
import { readsPartBoxes } from '../models/xception-parts.js';
import { backboneHash, FeatureCache, selfBlendViews, trainingViews, type ViewName } from './feature-cache.js';
import type { AugmentPolicy, HeadFit, SelfBlendMode, TrainViews } from './recipe-types.js';
import type { RidgeFit } from './ridge-head.js';
import { backboneBatch, extractFeatures, type FeatureProgress, type SplitFeatures } from './features.js';
import type { EpochPasses } from './fit.js';
import { featureNorm, gradientTraining, ridgeTraining, trainingEntries } from './frozen-passes.js';
import type { FusedOptimizer } from './optimizers.js';
import { ancestorsOf, frontierTensors, splitModel, type ModelSplit } from './model-split.js';

// The epoch passes over the cached features live in frozen-passes.ts; these two are part of this module's API.
export { featureNorm, linearHead } from './frozen-passes.js';

export interface FrozenSetup {
  /** The whole detector (input [b, 256, 256, 3] → logits [b, 2]); checkpoints hold all of it. */
  model: tf.LayersModel;
  /** Pooled feature layer ([b, F]); layers before it are the backbone, the layers after it the head. */
  featureLayer: string;
  /**
   * Where the frozen trunk ends (default `featureLayer`: the head alone trains). A block output inside the
   * backbone unfreezes the blocks after it: their input is cached (float16) and they train with the head.
   */
  cutLayer?: string;
  /** Learning-rate factor of the unfrozen backbone layers (default 1). */
  backboneLrScale?: number;
  /** Also cache each val/test image's mirror view and average the two fake probabilities (test-time flips). */
  ttaFlip?: boolean;
  /** Self-blended pseudo-fakes of the real training images: added to the dataset's fakes ('mix') or instead of them ('replace'). */
  selfBlend?: SelfBlendMode;
  datasets: { train: FaceDataset; val: FaceDataset; test: FaceDataset | null };
  /** Augmented views per training image (val/test use the plain image). */
  views: number;
  /** 'mirror': train on the image and its mirror image instead of `views` augmented views. */
  trainViews?: TrainViews;
  /** The augmentation of the cached augmented views (default 'crop-flip'). */
  augment?: AugmentPolicy;
  /** Every training batch holds as many real as fake entries (gradient training; balancedOrder). */
  balancedBatches?: boolean;
  /** 'ridge': the linear head is fitted in closed form in one epoch (ridge regression, strength chosen on validation AUC). */
  headFit?: HeadFit;
  batchSize: number;
  seed: number;
  /** Root of the feature cache (`<db dir>/feature-cache`). */
  cacheRoot: string;
  /** Fit the head's feature standardisation (if it has one) to the training features: a run's first epoch, not a resume. */
  adaptNorm: boolean;
  signal?: AbortSignal;
  onFeatures?: (p: FeatureProgress) => void;
}

export interface FrozenStats {
  weightsHash: string;
  dim: number;
  /** Views pushed through the backbone in this run, and views read back from the cache. */
  computed: number;
  cached: number;
  /** Wall time of the feature phase (hashing, cache reads, decoding, backbone passes). */
  seconds: number;
  bad: BadFile[];
  /** For a face-part detector: image views whose landmarks were looked up, and how many had no face (template part boxes used). */
  faces?: { looked: number; faceless: number };
}

export interface FrozenTraining {
  passes: EpochPasses;
  /** The trainable part as its own model (cut tensors → [b, 2]); it shares its layers (and weights) with `model`. */
  head: tf.LayersModel;
  stats: FrozenStats;
  /** A ridge head's fit, once its epoch has run. */
  ridge?: Pick<RidgeFit, 'strength' | 'lambda' | 'path'>;
  /** Disposes the head model's own parts; the shared layers stay with `model`. */
  dispose(): void;
}

/**
 * The trunk up to `cutLayer` (input [b, 256, 256, 3] → the cut tensors, flattened to [b, dim]) with its
 * feature cache, and a function that extracts (or reads back) one split's views through them.
 */
export function cachedTrunk(
  model: tf.LayersModel,
  split: ModelSplit,
  cutLayer: string,
  cacheRoot: string,
  batchSize: number,
  signal?: AbortSignal,
  onProgress?: (p: FeatureProgress) => void,
  options: { keep?: boolean; selfBlend?: boolean } = {},
) {
  // Face landmarks (for a detector that zooms into face parts, and for self-blend masks) are cached beside the features.
  const faces = readsPartBoxes(model) || options.selfBlend ? new FaceFinder(path.join(path.dirname(cacheRoot), 'face-cache')) : undefined;
  // The key covers the frozen layers before the cut (for a cut at the pooled features: the whole backbone, as before).
  const keyLayers = model.layers.filter((l) => split.frozen.has(l.name) && l.name !== cutLayer);
  // Half precision for large cuts (maps inside the backbone, region grids): half the disk, ~3 significant digits.
  const precision = split.shapes.some((s) => s.length > 1) || split.dim > 16_384 ? 'f16' : 'f32';
  // Part crops are drawn where the face detector puts the landmarks and the box geometry puts the parts.
  const inputs = readsPartBoxes(model) ? `${faceDetectorVersion()}\n${PART_BOXES_VERSION}` : '';
  const cache = new FeatureCache(cacheRoot, backboneHash(model.name, cutLayer, keyLayers, inputs), split.dim, precision, { keep: options.keep ?? true });
  const run = async (name: string, dataset: FaceDataset, views: readonly ViewName[]) =>
    extractFeatures(split.trunk, dataset, views, cache, { split: name, batchSize, signal, onProgress, faces });
  return { cache, run, faces };
}

/**
 * Full fine-tuning of a backbone whose head starts with a FeatureNormalization: fits it to the pretrained
 * backbone's features of the plain training images (read from, or written to, the same feature cache), so
 * the head starts as in a frozen run. Returns the number of images, or null when the model has no such layer.
 */
export async function adaptFeatureNorm(
  model: tf.LayersModel,
  featureLayer: string,
  train: FaceDataset,
  cacheRoot: string,
  options: { batchSize: number; signal?: AbortSignal; onFeatures?: (p: FeatureProgress) => void },
): Promise<number | null> {
  const norm = featureNorm(model, featureLayer);
  if (!norm) return null;
  const { run } = cachedTrunk(
    model,
    splitModel(model, featureLayer),
    featureLayer,
    cacheRoot,
    backboneBatch(options.batchSize),
    options.signal,
    options.onFeatures,
  );
  const { features } = await run('train', train, ['plain']);
  if (features.n === 0) throw new UnmaskError('DATASET_INVALID', 'no train image could be read to fit the feature standardisation');
  norm.adapt(features.x, features.n);
  return features.n;
}

/** Fits the head's feature standardisation to the training views, computing the pooled features through the part when the cut is inside the backbone. */
function adaptNorm(model: tf.LayersModel, split: ModelSplit, featureLayer: string, cutLayer: string, f: SplitFeatures): void {
  const norm = featureNorm(model, featureLayer);
  if (!norm) return;
  if (cutLayer === featureLayer) {
    norm.adapt(f.x, f.n * f.views);
    return;
  }
  const toFeatures = split.partTo(featureLayer);
  const rows = f.n * f.views;
  const chunks: Float32Array[] = [];
  for (let r = 0; r < rows; r += 32) {
    const m = Math.min(32, rows - r);
    chunks.push(tidyRead(() => toFeatures.predict(frontierTensors(split, m, f.x.subarray(r * f.dim, (r + m) * f.dim))) as tf.Tensor));
  }
  const dim = chunks[0]!.length / Math.min(32, rows);
  const all = new Float32Array(rows * dim);
  chunks.forEach((c, k) => all.set(c, k * 32 * dim));
  norm.adapt(all, rows);
}

type TrunkRun = ReturnType<typeof cachedTrunk>['run'];

/**
 * Each split's cut features: `views` augmented views per training image, a self-blended pseudo-fake of every real
 * training image per view (with `selfBlend`), the plain image (and its mirror with `ttaFlip`) for val and test.
 * Throws when no train or no val image could be read.
 */
async function extractSplits(setup: FrozenSetup, run: TrunkRun) {
  const evalViews: ViewName[] = setup.ttaFlip ? ['plain', 'flip'] : ['plain'];
  const train = await run('train', setup.datasets.train, trainingViews(setup.views, setup.trainViews, setup.augment));
  // Pseudo-fakes of every real training image, one per augmented view.
  const reals = setup.datasets.train.filter((s) => s.label === 0, 'train-self-blend');
  const blended = setup.selfBlend && reals.length > 0 ? await run('train (self-blended)', reals, selfBlendViews(setup.views)) : null;
  const val = await run('val', setup.datasets.val, evalViews);
  const test = setup.datasets.test ? await run('test', setup.datasets.test, evalViews) : null;
  for (const [name, part] of [
    ['train', train],
    ['val', val],
  ] as const) {
    if (part.features.n === 0) throw new UnmaskError('DATASET_INVALID', `no ${name} image could be read for feature extraction`);
  }
  return { train, blended, val, test };
}

/** Scales the learning rate of the unfrozen backbone layers after the cut (the head's layers keep theirs). */
function scaleBackboneLr(model: tf.LayersModel, featureLayer: string, split: ModelSplit, optimizer: FusedOptimizer, scale: number): void {
  const backbone = ancestorsOf(model.getLayer(featureLayer));
  for (const layer of split.part.layers) {
    if (!backbone.has(layer.name)) continue;
    for (const w of layer.trainableWeights) optimizer.scaleLearningRate((w as unknown as { val: tf.Variable }).val, scale);
  }
}

/**
 * Computes (or reads from the cache) the trunk's output at the cut for every image — `views` seeded augmented
 * views per training image, the plain image (and its mirror with `ttaFlip`) for val and test — then returns
 * epoch passes that train and evaluate only the part after the cut on them: the head, or the unfrozen blocks
 * and the head (after fitting the head's feature standardisation, if any, to every training view when
 * `adaptNorm`). Training epoch e visits the images in permutation(rngFrom(seed, e)) order, each at
 * view (e + offset_i) mod views, so every view is used equally often. Batch-norm layers stay in inference
 * mode throughout (the trunk's outputs are computed once with their moving statistics; unfrozen blocks keep theirs).
 */
export async function prepareFrozen(setup: FrozenSetup, optimizer: FusedOptimizer): Promise<FrozenTraining> {
  const started = performance.now();
  const { model, featureLayer } = setup;
  const cutLayer = setup.cutLayer ?? featureLayer;
  if (!Number.isInteger(setup.views) || setup.views < 1) throw new UnmaskError('BAD_ARGUMENT', `feature views must be a positive integer, got ${setup.views}`);
  const split = splitModel(model, cutLayer);
  const { cache, run, faces } = cachedTrunk(model, split, cutLayer, setup.cacheRoot, backboneBatch(setup.batchSize), setup.signal, setup.onFeatures, {
    selfBlend: setup.selfBlend != null,
  });
  const { train, blended, val, test } = await extractSplits(setup, run);
  const parts = [train, val, ...(test ? [test] : []), ...(blended ? [blended] : [])];
  const stats: FrozenStats = {
    weightsHash: cache.weightsHash,
    dim: split.dim,
    computed: parts.reduce((s, p) => s + p.computed, 0),
    cached: parts.reduce((s, p) => s + p.cached, 0),
    seconds: (performance.now() - started) / 1000,
    bad: parts.flatMap((p) => p.bad),
    ...(faces ? { faces: { looked: faces.looked, faceless: faces.faceless } } : {}),
  };

  const f = train.features;
  if (setup.adaptNorm) adaptNorm(model, split, featureLayer, cutLayer, f);
  scaleBackboneLr(model, featureLayer, split, optimizer, setup.backboneLrScale ?? 1);
  const entries = trainingEntries(f, blended?.features ?? null, setup.selfBlend);
  const features = { train: f, val: val.features, test: test?.features ?? null };
  if (setup.headFit === 'ridge') return ridgeTraining(model, featureLayer, split, setup, entries, features, stats);
  return gradientTraining(split, optimizer, setup, entries, features, stats);
}
