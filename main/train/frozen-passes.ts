// The epoch passes of a frozen-backbone run over cached trunk outputs: gradient training of the part after the
// cut, a closed-form ridge fit of a linear head, and evaluation. Split from frozen.ts, which extracts the features.
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { mixSeed, permutation, rngFrom } from '../data/index.js';
import { balancedOrder } from '../data/balanced-order.js';
import { randomInt } from '../data/rng.js';
import { UnmaskError } from '../engine/errors.js';
import { FeatureNormalization } from '../models/feature-norm.js';
import { checkCancelled, Meter, viewsOutcome, type PassResult } from './epoch.js';
import type { SelfBlendMode } from './recipe-types.js';
import { fitRidge, setRidgeHead, type FeatureRows } from './ridge-head.js';
import type { SplitFeatures } from './features.js';
import type { EpochPasses } from './fit.js';
import type { FrozenSetup, FrozenStats, FrozenTraining } from './frozen.js';
import type { FusedOptimizer } from './optimizers.js';
import { frontierTensors, type ModelSplit } from './model-split.js';
import { trainStep } from './step.js';

const SHUFFLE_TAG = 0x46534855;
const VIEW_PICK_TAG = 0x46564b50;

/** Cached features of the three splits (test only when the run has one). */
export interface CachedSplits {
  train: SplitFeatures;
  val: SplitFeatures;
  test: SplitFeatures | null;
}

/** The model's FeatureNormalization applied directly to `featureLayer`'s output, if it has one. */
export function featureNorm(model: tf.LayersModel, featureLayer: string): FeatureNormalization | null {
  const found = model.layers.find((l) => l instanceof FeatureNormalization && l.inboundNodes[0]?.inboundLayers[0]?.name === featureLayer);
  return (found as FeatureNormalization | undefined) ?? null;
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
export interface TrainingEntry {
  f: SplitFeatures;
  i: number;
  label: number;
}

/**
 * The training set of a cached run: every image with its label, plus (with self-blending) every pseudo-fake as
 * a fake; 'replace' drops the dataset's own fakes, so the detector learns from real faces alone.
 */
export function trainingEntries(f: SplitFeatures, blended: SplitFeatures | null, mode: SelfBlendMode | undefined): TrainingEntry[] {
  const own = Array.from({ length: f.n }, (_, i) => ({ f, i, label: f.labels[i]! })).filter((e) => mode !== 'replace' || e.label === 0);
  const pseudo = blended ? Array.from({ length: blended.n }, (_, i) => ({ f: blended, i, label: 1 })) : [];
  return [...own, ...pseudo];
}

/** One evaluation pass of the trainable part over cached views; with two views per image (plain, mirror) their fake probabilities are averaged. */
function evalPass(
  split: ModelSplit,
  f: SplitFeatures,
  batchSize: number,
  options: { signal?: AbortSignal; onBatch?: (p: ReturnType<Meter['progress']>) => void },
): PassResult {
  const meter = new Meter();
  const batches = Math.ceil(f.n / batchSize);
  for (let b = 0; b < batches; b++) {
    checkCancelled(options.signal);
    const rows = Array.from({ length: Math.min(batchSize, f.n - b * batchSize) }, (_, k) => b * batchSize + k);
    const [loss, correct, fake] = tf.tidy(() => {
      const ys = tf.tensor1d(
        Int32Array.from(rows, (i) => f.labels[i]!),
        'int32',
      );
      const views = Array.from(
        { length: f.views },
        (_, v) =>
          split.part.predict(
            frontierTensors(
              split,
              rows.length,
              gather(f, rows, () => v),
            ),
          ) as tf.Tensor2D,
      );
      const { logits, loss: l, correct: c } = viewsOutcome(views, ys);
      const p = tf.softmax(logits);
      return [l.dataSync()[0]!, c.dataSync()[0]!, tf.squeeze(tf.slice(p, [0, 1], [-1, 1]), [1]).dataSync() as Float32Array] as const;
    });
    meter.add({ size: rows.length, waitMs: 0 }, loss, correct);
    meter.addScores(
      rows.map((i) => f.labels[i]!),
      fake,
    );
    options.onBatch?.(meter.progress(b, batches));
  }
  return meter.result();
}

/**
 * A linear head fitted in closed form: every epoch (a run of a ridge head has one) solves the ridge problem on
 * every cached view of every training entry (self-blended pseudo-fakes as fakes), writes it into the head, and reports
 * the fitted head's loss and accuracy on the training images as the epoch's training pass.
 */
export function ridgeTraining(
  model: tf.LayersModel,
  featureLayer: string,
  split: ModelSplit,
  setup: FrozenSetup,
  entries: readonly TrainingEntry[],
  features: CachedSplits,
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
 * Gradient training of the part after the cut (the head, or the unfrozen blocks and the head): epoch e visits the
 * entries in permutation(rngFrom(mixSeed(seed, SHUFFLE_TAG), e)) order, each at view (e + offset_k) mod views,
 * so every view is used equally often.
 */
export function gradientTraining(
  split: ModelSplit,
  optimizer: FusedOptimizer,
  setup: FrozenSetup,
  entries: readonly TrainingEntry[],
  features: CachedSplits,
  stats: FrozenStats,
): FrozenTraining {
  const offsets = Int32Array.from(entries, (e, k) => randomInt(rngFrom(setup.seed, k, VIEW_PICK_TAG), e.f.views));
  const labels = Int32Array.from(entries, (e) => e.label);
  const test = features.test;
  const passes: EpochPasses = {
    train: async (epoch, options) => {
      const meter = new Meter();
      const rng = rngFrom(mixSeed(setup.seed, SHUFFLE_TAG), epoch);
      const order = setup.balancedBatches ? balancedOrder(labels, rng) : Array.from(permutation(entries.length, rng));
      const batches = Math.ceil(order.length / setup.batchSize);
      for (let b = 0; b < batches; b++) {
        checkCancelled(options.signal);
        const rows = order.slice(b * setup.batchSize, (b + 1) * setup.batchSize);
        const data = new Float32Array(rows.length * split.dim);
        rows.forEach((k, r) => {
          const { f: source, i } = entries[k]!;
          const v = (epoch + offsets[k]!) % source.views;
          data.set(source.x.subarray((i * source.views + v) * source.dim, (i * source.views + v + 1) * source.dim), r * split.dim);
        });
        const xs = frontierTensors(split, rows.length, data);
        const ys = tf.tensor1d(
          Int32Array.from(rows, (k) => entries[k]!.label),
          'int32',
        );
        options.beforeStep?.(b, batches);
        // Inference mode: unfrozen blocks keep their batch-norm statistics (the head has no mode-dependent layer).
        const { loss, correct } = trainStep(split.part, optimizer, xs, ys, false);
        tf.dispose([...xs, ys]);
        meter.add({ size: rows.length, waitMs: 0 }, loss, correct);
        options.onBatch?.(meter.progress(b, batches));
      }
      return meter.result();
    },
    val: async (options) => evalPass(split, features.val, setup.batchSize, options),
    test: test ? async (options) => evalPass(split, test, setup.batchSize, options) : null,
  };
  return { passes, head: split.part, stats, dispose: () => split.dispose() };
}
