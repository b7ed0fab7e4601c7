// Frozen-backbone fine-tuning: cached backbone features once per image view, then epochs of the head alone.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { type FaceDataset, mixSeed, permutation, rngFrom, type BadFile } from '../data/index.js';
import { FaceFinder } from '../data/face-cache.js';
import { randomInt } from '../data/rng.js';
import { UnmaskError } from '../engine/errors.js';
import { FeatureNormalization } from '../models/feature-norm.js';
import { readsPartBoxes } from '../models/xception-parts.js';
import { checkCancelled, Meter, type PassResult } from './epoch.js';
import { backboneHash, FeatureCache, selfBlendViews, trainingViews, type ViewName } from './feature-cache.js';
import type { HeadFit, SelfBlendMode, TrainViews } from './recipe-types.js';
import { fitRidge, setRidgeHead, type FeatureRows, type RidgeFit } from './ridge-head.js';
import { extractFeatures, type FeatureProgress, type SplitFeatures } from './features.js';
import type { EpochPasses } from './fit.js';
import type { FusedOptimizer } from './optimizers.js';
import { ancestorsOf, frontierTensors, splitModel, type ModelSplit } from './model-split.js';
import { trainStep } from './step.js';

const SHUFFLE_TAG = 0x46534855;
const VIEW_PICK_TAG = 0x46564b50;

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
  const cache = new FeatureCache(cacheRoot, backboneHash(model.name, cutLayer, keyLayers), split.dim, precision, { keep: options.keep ?? true });
  const run = async (name: string, dataset: FaceDataset, views: readonly ViewName[]) => extractFeatures(split.trunk, dataset, views, cache, { split: name, batchSize, signal, onProgress, faces });
  return { cache, run, faces };
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
  const { run } = cachedTrunk(model, splitModel(model, featureLayer), featureLayer, cacheRoot, Math.min(options.batchSize, 16), options.signal, options.onFeatures);
  const { features } = await run('train', train, ['plain']);
  if (features.n === 0) throw new UnmaskError('DATASET_INVALID', 'no train image could be read to fit the feature standardisation');
  norm.adapt(features.x, features.n);
  return features.n;
}

/**
 * The Dense layer with 2 units fed by the feature standardisation of `featureLayer` and giving the model's
 * logits (a linear head), with that standardisation, or null.
 */
export function linearHead(model: tf.LayersModel, featureLayer: string): { dense: tf.layers.Layer; norm: FeatureNormalization } | null {
  const norm = featureNorm(model, featureLayer);
  const out = model.outputLayers[0];
  if (!norm || !out || model.outputLayers.length !== 1) return null;
  const config = out.getConfig();
  const linear = out.getClassName() === 'Dense' && config.units === 2 && (config.activation ?? 'linear') === 'linear';
  return linear && out.inboundNodes[0]?.inboundLayers[0]?.name === norm.name ? { dense: out, norm } : null;
}

/** Standardised as the head reads them: every cached view of every training entry as a row of its own, with the entry's label. */
function trainingRows(norm: FeatureNormalization, entries: readonly TrainingEntry[]): FeatureRows {
  const dim = entries[0]!.f.dim;
  const n = entries.reduce((s, e) => s + e.f.views, 0);
  const x = new Float32Array(n * dim);
  const labels: number[] = [];
  for (const e of entries) {
    x.set(e.f.x.subarray(e.i * e.f.views * dim, (e.i + 1) * e.f.views * dim), labels.length * dim);
    for (let v = 0; v < e.f.views; v++) labels.push(e.label);
  }
  return { x: standardise(norm, x, n, dim), n, views: 1, dim, labels };
}

function standardise(norm: FeatureNormalization, x: Float32Array, rows: number, dim: number): Float32Array {
  // The tensor leaves tidy, not its values: tidy walks what it returns, and a 10⁸-element array is too long to walk.
  const z = tf.tidy(() => norm.apply(tf.tensor2d(x, [rows, dim])) as tf.Tensor);
  const values = z.dataSync() as Float32Array;
  z.dispose();
  return values;
}

/** Rows of `f` for the given images, each at its chosen view, as [rows.length, dim]. */
function gather(f: SplitFeatures, rows: readonly number[], view: (i: number) => number): Float32Array {
  const out = new Float32Array(rows.length * f.dim);
  rows.forEach((i, k) => out.set(f.x.subarray((i * f.views + view(i)) * f.dim, (i * f.views + view(i) + 1) * f.dim), k * f.dim));
  return out;
}

/** One training example: an image (its cached views in `f`, row `i`) and the label it trains with. */
interface TrainingEntry {
  f: SplitFeatures;
  i: number;
  label: number;
}

/**
 * The training set of a cached run: every image with its label, plus (with self-blending) every pseudo-fake as
 * a fake; 'replace' drops the dataset's own fakes, so the detector learns from real faces alone.
 */
function trainingEntries(f: SplitFeatures, blended: SplitFeatures | null, mode: SelfBlendMode | undefined): TrainingEntry[] {
  const own = Array.from({ length: f.n }, (_, i) => ({ f, i, label: f.labels[i]! })).filter((e) => mode !== 'replace' || e.label === 0);
  const pseudo = blended ? Array.from({ length: blended.n }, (_, i) => ({ f: blended, i, label: 1 })) : [];
  return [...own, ...pseudo];
}

/** One evaluation pass of the trainable part over cached views; with two views per image (plain, mirror) their fake probabilities are averaged. */
function evalPass(split: ModelSplit, f: SplitFeatures, batchSize: number, options: { signal?: AbortSignal; onBatch?: (p: ReturnType<Meter['progress']>) => void }): PassResult {
  const meter = new Meter();
  const batches = Math.ceil(f.n / batchSize);
  for (let b = 0; b < batches; b++) {
    checkCancelled(options.signal);
    const rows = Array.from({ length: Math.min(batchSize, f.n - b * batchSize) }, (_, k) => b * batchSize + k);
    const [loss, correct, fake] = tf.tidy(() => {
      const ys = tf.tensor1d(Int32Array.from(rows, (i) => f.labels[i]!), 'int32');
      const probs = Array.from({ length: f.views }, (_, v) => tf.softmax(split.part.predict(frontierTensors(split, rows.length, gather(f, rows, () => v))) as tf.Tensor2D));
      const p = probs.length === 1 ? probs[0]! : tf.div(tf.addN(probs), probs.length);
      // Cross-entropy of the (averaged) probabilities: the logits' own loss when there is one view.
      const l = tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(ys, 2), tf.log(tf.maximum(p, 1e-12))), 1)));
      const c = tf.sum(tf.cast(tf.equal(tf.argMax(p, 1), ys), 'int32'));
      return [l.dataSync()[0]!, c.dataSync()[0]!, tf.squeeze(tf.slice(p, [0, 1], [-1, 1]), [1]).dataSync() as Float32Array] as const;
    });
    meter.add({ size: rows.length, waitMs: 0 }, loss, correct);
    meter.addScores(rows.map((i) => f.labels[i]!), fake);
    options.onBatch?.(meter.progress(b, batches));
  }
  return meter.result();
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
    chunks.push(tf.tidy(() => (toFeatures.predict(frontierTensors(split, m, f.x.subarray(r * f.dim, (r + m) * f.dim))) as tf.Tensor).dataSync() as Float32Array));
  }
  const dim = chunks[0]!.length / Math.min(32, rows);
  const all = new Float32Array(rows * dim);
  chunks.forEach((c, k) => all.set(c, k * 32 * dim));
  norm.adapt(all, rows);
}

/**
 * A linear head fitted in closed form: every epoch (a run of a ridge head has one) solves the ridge problem on
 * every cached view of every training entry (self-blended pseudo-fakes as fakes), writes it into the head, and reports
 * the fitted head's loss and accuracy on the training images as the epoch's training pass.
 */
function ridgeTraining(
  model: tf.LayersModel,
  featureLayer: string,
  split: ModelSplit,
  setup: FrozenSetup,
  entries: readonly TrainingEntry[],
  features: { train: SplitFeatures; val: SplitFeatures; test: SplitFeatures | null },
  stats: FrozenStats,
): FrozenTraining {
  const head = linearHead(model, featureLayer);
  if (!head || split.part.layers.some((l) => l.trainableWeights.length > 0 && l !== head.dense)) {
    throw new UnmaskError('BAD_ARGUMENT', `the ridge head fits a linear layer on standardised frozen features: ${model.name} has another head`);
  }
  const { dense, norm } = head;
  const out: FrozenTraining = {
    head: split.part,
    stats,
    dispose: () => split.dispose(),
    passes: {
      train: async (_epoch, options) => {
        const started = performance.now();
        checkCancelled(options.signal);
        const v = features.val;
        const valRows = { x: standardise(norm, v.x, v.n * v.views, v.dim), n: v.n, views: v.views, dim: v.dim, labels: v.labels };
        const fitted = fitRidge(trainingRows(norm, entries), valRows);
        setRidgeHead(dense, fitted);
        out.ridge = { strength: fitted.strength, lambda: fitted.lambda, path: fitted.path };
        const fitSeconds = (performance.now() - started) / 1000;
        const result = evalPass(split, features.train, setup.batchSize, options);
        return { ...result, seconds: result.seconds + fitSeconds, imgPerSec: result.samples / (result.seconds + fitSeconds) };
      },
      val: async (options) => evalPass(split, features.val, setup.batchSize, options),
      test: features.test ? async (options) => evalPass(split, features.test!, setup.batchSize, options) : null,
    },
  };
  return out;
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
  const { cache, run, faces } = cachedTrunk(model, split, cutLayer, setup.cacheRoot, Math.min(setup.batchSize, 16), setup.signal, setup.onFeatures, { selfBlend: setup.selfBlend != null });
  const evalViews: ViewName[] = setup.ttaFlip ? ['plain', 'flip'] : ['plain'];
  const train = await run('train', setup.datasets.train, trainingViews(setup.views, setup.trainViews));
  // Pseudo-fakes of every real training image, one per augmented view.
  const reals = setup.datasets.train.filter((s) => s.label === 0, 'train-self-blend');
  const blended = setup.selfBlend && reals.length > 0 ? await run('train (self-blended)', reals, selfBlendViews(setup.views)) : null;
  const val = await run('val', setup.datasets.val, evalViews);
  const test = setup.datasets.test ? await run('test', setup.datasets.test, evalViews) : null;
  const parts = [train, val, ...(test ? [test] : []), ...(blended ? [blended] : [])];
  for (const [name, part] of [['train', train], ['val', val]] as const) {
    if (part.features.n === 0) throw new UnmaskError('DATASET_INVALID', `no ${name} image could be read for feature extraction`);
  }
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
  const backbone = ancestorsOf(model.getLayer(featureLayer));
  for (const layer of split.part.layers) {
    if (!backbone.has(layer.name)) continue;
    for (const w of layer.trainableWeights) optimizer.scaleLearningRate((w as unknown as { val: tf.Variable }).val, setup.backboneLrScale ?? 1);
  }
  const entries = trainingEntries(f, blended?.features ?? null, setup.selfBlend);
  if (setup.headFit === 'ridge') return ridgeTraining(model, featureLayer, split, setup, entries, { train: f, val: val.features, test: test?.features ?? null }, stats);
  const offsets = Int32Array.from(entries, (e, k) => randomInt(rngFrom(setup.seed, k, VIEW_PICK_TAG), e.f.views));
  const passes: EpochPasses = {
    train: async (epoch, options) => {
      const meter = new Meter();
      const order = permutation(entries.length, rngFrom(mixSeed(setup.seed, SHUFFLE_TAG), epoch));
      const batches = Math.ceil(entries.length / setup.batchSize);
      for (let b = 0; b < batches; b++) {
        checkCancelled(options.signal);
        const rows = Array.from(order.subarray(b * setup.batchSize, (b + 1) * setup.batchSize));
        const data = new Float32Array(rows.length * split.dim);
        rows.forEach((k, r) => {
          const { f: source, i } = entries[k]!;
          const v = (epoch + offsets[k]!) % source.views;
          data.set(source.x.subarray((i * source.views + v) * source.dim, (i * source.views + v + 1) * source.dim), r * split.dim);
        });
        const xs = frontierTensors(split, rows.length, data);
        const ys = tf.tensor1d(Int32Array.from(rows, (k) => entries[k]!.label), 'int32');
        options.beforeStep?.(b, batches);
        // Inference mode: unfrozen blocks keep their batch-norm statistics (the head has no mode-dependent layer).
        const { loss, correct } = trainStep(split.part, optimizer, xs, ys, false);
        tf.dispose([...xs, ys]);
        meter.add({ size: rows.length, waitMs: 0 }, loss, correct);
        options.onBatch?.(meter.progress(b, batches));
      }
      return meter.result();
    },
    val: async (options) => evalPass(split, val.features, setup.batchSize, options),
    test: test ? async (options) => evalPass(split, test.features, setup.batchSize, options) : null,
  };
  return { passes, head: split.part, stats, dispose: () => split.dispose() };
}
