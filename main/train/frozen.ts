// Frozen-backbone fine-tuning: cached backbone features once per image view, then epochs of the head alone.
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { mixSeed, permutation, rngFrom, type BadFile, type FaceDataset } from '../data/index.js';
import { randomInt } from '../data/rng.js';
import { UnmaskError } from '../engine/errors.js';
import { FeatureNormalization } from '../models/feature-norm.js';
import { layersBefore } from '../models/pretrained/assign.js';
import { checkCancelled, Meter, type PassResult } from './epoch.js';
import { augmentedViews, backboneHash, FeatureCache, type ViewName } from './feature-cache.js';
import { extractFeatures, type FeatureProgress, type SplitFeatures } from './features.js';
import type { EpochPasses } from './fit.js';
import type { FusedOptimizer } from './optimizers.js';
import { trainStep } from './step.js';

/** Augmented views cached per training image unless asked otherwise. */
export const DEFAULT_FEATURE_VIEWS = 2;

const SHUFFLE_TAG = 0x46534855;
const VIEW_PICK_TAG = 0x46564b50;

export interface FrozenSetup {
  /** The whole detector (input [b, 256, 256, 3] → logits [b, 2]); checkpoints hold all of it. */
  model: tf.LayersModel;
  /** Pooled feature layer ([b, F]); layers before it are the frozen backbone, the chain after it is the head. */
  featureLayer: string;
  datasets: { train: FaceDataset; val: FaceDataset; test: FaceDataset | null };
  /** Augmented views per training image (val/test use the plain image). */
  views: number;
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
}

export interface FrozenTraining {
  passes: EpochPasses;
  /** The head as its own model ([b, F] → [b, 2]); it shares its layers (and weights) with `model`. */
  head: tf.LayersModel;
  stats: FrozenStats;
  /** Disposes the head model's own parts; the shared layers stay with `model`. */
  dispose(): void;
}

/**
 * The layers after `featureLayer`, applied to a new input [b, F]: a model sharing the detector's head layers,
 * so training it trains the detector. The head must be a chain of single-input layers.
 */
export function headModel(model: tf.LayersModel, featureLayer: string): tf.LayersModel {
  const chain: tf.layers.Layer[] = [];
  let layer = model.outputs[0]!.sourceLayer;
  while (layer.name !== featureLayer) {
    chain.unshift(layer);
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
    if (inbound.length !== 1) throw new UnmaskError('INTERNAL', `the head of '${model.name}' is not a chain of single-input layers (at '${layer.name}')`);
    layer = inbound[0]!;
  }
  const shape = model.getLayer(featureLayer).getOutputAt(0) as tf.SymbolicTensor;
  if (shape.rank !== 2) throw new UnmaskError('INTERNAL', `'${featureLayer}' outputs rank ${shape.rank}; the frozen head needs pooled features [batch, F]`);
  const input = tf.input({ shape: [shape.shape[1]!], name: `${model.name}_features` });
  let h = input;
  for (const l of chain) h = l.apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: h, name: `${model.name}_head` });
}

/**
 * The backbone up to `featureLayer` (input [b, 256, 256, 3] → [b, F]) with its feature cache, and a function
 * that extracts (or reads back) one split's views through them.
 */
function cachedBackbone(model: tf.LayersModel, featureLayer: string, cacheRoot: string, batchSize: number, signal?: AbortSignal, onProgress?: (p: FeatureProgress) => void) {
  // Not disposed by its users: it owns no layer of its own, and disposing it would free the detector's.
  const backbone = tf.model({ inputs: model.inputs, outputs: model.getLayer(featureLayer).getOutputAt(0) as tf.SymbolicTensor, name: `${model.name}_backbone` });
  const dim = (backbone.outputs[0]!.shape[1] as number) ?? 0;
  const cache = new FeatureCache(cacheRoot, backboneHash(model.name, featureLayer, layersBefore(model, featureLayer)), dim);
  const run = async (split: string, dataset: FaceDataset, views: readonly ViewName[]) => extractFeatures(backbone, dataset, views, cache, { split, batchSize, signal, onProgress });
  return { cache, run };
}

/** The model's FeatureNormalization applied directly to `featureLayer`'s output, if it has one. */
export function featureNorm(model: tf.LayersModel, featureLayer: string): FeatureNormalization | null {
  const found = model.layers.find((l) => l instanceof FeatureNormalization && l.inboundNodes[0]?.inboundLayers[0]?.name === featureLayer);
  return (found as FeatureNormalization | undefined) ?? null;
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
  const { run } = cachedBackbone(model, featureLayer, cacheRoot, Math.min(options.batchSize, 16), options.signal, options.onFeatures);
  const { features } = await run('train', train, ['plain']);
  if (features.n === 0) throw new UnmaskError('DATASET_INVALID', 'no train image could be read to fit the feature standardisation');
  norm.adapt(features.x, features.n);
  return features.n;
}

/** Rows of `f` for the given images, each at its chosen view, as [rows.length, dim]. */
function gather(f: SplitFeatures, rows: readonly number[], view: (i: number) => number): Float32Array {
  const out = new Float32Array(rows.length * f.dim);
  rows.forEach((i, k) => out.set(f.x.subarray((i * f.views + view(i)) * f.dim, (i * f.views + view(i) + 1) * f.dim), k * f.dim));
  return out;
}

function evalPass(head: tf.LayersModel, f: SplitFeatures, batchSize: number, options: { signal?: AbortSignal; onBatch?: (p: ReturnType<Meter['progress']>) => void }): PassResult {
  const meter = new Meter();
  const batches = Math.ceil(f.n / batchSize);
  for (let b = 0; b < batches; b++) {
    checkCancelled(options.signal);
    const rows = Array.from({ length: Math.min(batchSize, f.n - b * batchSize) }, (_, k) => b * batchSize + k);
    const [loss, correct] = tf.tidy(() => {
      const xs = tf.tensor2d(gather(f, rows, () => 0), [rows.length, f.dim]);
      const ys = tf.tensor1d(Int32Array.from(rows, (i) => f.labels[i]!), 'int32');
      const out = head.predict(xs) as tf.Tensor2D;
      const l = tf.losses.softmaxCrossEntropy(tf.oneHot(ys, 2), out);
      const c = tf.sum(tf.cast(tf.equal(tf.argMax(out, 1), ys), 'int32'));
      return [l.dataSync()[0]!, c.dataSync()[0]!];
    });
    meter.add({ size: rows.length, waitMs: 0 }, loss, correct);
    options.onBatch?.(meter.progress(b, batches));
  }
  return meter.result();
}

/**
 * Computes (or reads from the cache) the backbone features of every image — `views` seeded augmented views
 * per training image, the plain image for val and test — then returns epoch passes that train and evaluate
 * only the head on them (after fitting its feature standardisation, if any, to every cached training view when
 * `adaptNorm`). Training epoch e visits the images in permutation(rngFrom(seed, e)) order, each at
 * view (e + offset_i) mod views, so every view is used equally often. Batch-norm layers of the backbone stay
 * in inference mode throughout (features are computed once, with their moving statistics).
 */
export async function prepareFrozen(setup: FrozenSetup, optimizer: FusedOptimizer): Promise<FrozenTraining> {
  const started = performance.now();
  const { model, featureLayer } = setup;
  if (!Number.isInteger(setup.views) || setup.views < 1) throw new UnmaskError('BAD_ARGUMENT', `feature views must be a positive integer, got ${setup.views}`);
  const { cache, run } = cachedBackbone(model, featureLayer, setup.cacheRoot, Math.min(setup.batchSize, 16), setup.signal, setup.onFeatures);
  const dim = cache.dim;
  const train = await run('train', setup.datasets.train, augmentedViews(setup.views));
  const val = await run('val', setup.datasets.val, ['plain']);
  const test = setup.datasets.test ? await run('test', setup.datasets.test, ['plain']) : null;
  const parts = [train, val, ...(test ? [test] : [])];
  for (const [name, part] of [['train', train], ['val', val]] as const) {
    if (part.features.n === 0) throw new UnmaskError('DATASET_INVALID', `no ${name} image could be read for feature extraction`);
  }
  const stats: FrozenStats = {
    weightsHash: cache.weightsHash,
    dim,
    computed: parts.reduce((s, p) => s + p.computed, 0),
    cached: parts.reduce((s, p) => s + p.cached, 0),
    seconds: (performance.now() - started) / 1000,
    bad: parts.flatMap((p) => p.bad),
  };

  const f = train.features;
  if (setup.adaptNorm) featureNorm(model, featureLayer)?.adapt(f.x, f.n * f.views);
  const head = headModel(model, featureLayer);
  const offsets = Int32Array.from({ length: f.n }, (_, i) => randomInt(rngFrom(setup.seed, i, VIEW_PICK_TAG), f.views));
  const passes: EpochPasses = {
    train: async (epoch, options) => {
      const meter = new Meter();
      const order = permutation(f.n, rngFrom(mixSeed(setup.seed, SHUFFLE_TAG), epoch));
      const batches = Math.ceil(f.n / setup.batchSize);
      for (let b = 0; b < batches; b++) {
        checkCancelled(options.signal);
        const rows = Array.from(order.subarray(b * setup.batchSize, (b + 1) * setup.batchSize));
        const xs = tf.tensor2d(gather(f, rows, (i) => (epoch + offsets[i]!) % f.views), [rows.length, f.dim]);
        const ys = tf.tensor1d(Int32Array.from(rows, (i) => f.labels[i]!), 'int32');
        const { loss, correct } = trainStep(head, optimizer, xs, ys);
        tf.dispose([xs, ys]);
        meter.add({ size: rows.length, waitMs: 0 }, loss, correct);
        options.onBatch?.(meter.progress(b, batches));
      }
      return meter.result();
    },
    val: async (options) => evalPass(head, val.features, setup.batchSize, options),
    test: test ? async (options) => evalPass(head, test.features, setup.batchSize, options) : null,
  };
  return { passes, head, stats, dispose: () => head.dispose() };
}
