// Executing a planned run: the frozen backbone's feature phase, the epochs (each recorded in the store as it ends),
// and the outcome; the run ends completed, cancelled or failed. The session (session.ts) prepares and plans runs.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as tf from '@tensorflow/tfjs';
import type { DatasetScan, FaceCropper, Loader } from '../data/index.js';
import { modelEntry } from '../models/registry.js';
import type { RunStore, RunSummary } from '../store/index.js';
import type { BatchProgress } from './epoch.js';
import type { FeatureProgress } from './features.js';
import { fit, type BestSoFar, type EpochMetrics, type Phase } from './fit.js';
import { adaptFeatureNorm, prepareFrozen, type FrozenStats, type FrozenTraining } from './frozen.js';
import type { FusedOptimizer } from './optimizers.js';
import { cutForUnfreeze, DEFAULT_BACKBONE_LR_SCALE } from './recipe.js';
import type { TrainRequest } from './request.js';
import { TRAIN_DEFAULTS } from './request-schema.js';
import { learningRateAt } from './schedule.js';

export type TrainEvent =
  | { type: 'scan'; scan: DatasetScan }
  /** Several folders: how many of their images have the same bytes as another (kept: nothing is deduplicated). */
  | { type: 'duplicates'; files: number }
  | { type: 'download'; received: number; total: number | null }
  | { type: 'pretrained'; source: string; layers: number; tensors: number; seconds: number }
  | { type: 'start'; runId: number; engine: string; startEpoch: number; epochs: number; training?: string }
  | ({ type: 'features' } & FeatureProgress)
  | ({ type: 'features-done' } & FrozenStats)
  | ({ type: 'batch'; phase: Phase; epoch: number; epochs: number } & BatchProgress)
  | { type: 'epoch'; metrics: EpochMetrics };

export interface TrainOutcome {
  run: number;
  epochs: number;
  bestValAcc: number | null;
  bestEpoch: number | null;
  testAccAtBestVal: number | null;
  wallSeconds: number;
  engine: string;
  /** Share of training time spent waiting for image decoding (mean over epochs). */
  decodeShare: number;
  /** Frozen-backbone runs: the feature phase (seconds, views computed vs read from the cache) and the head's epochs. */
  freezeBackbone?: boolean;
  features?: { seconds: number; computed: number; cached: number; weightsHash: string; skipped: number };
  headSeconds?: number;
  /** --head-fit ridge: the strength chosen on validation AUC (a multiple of the mean kernel eigenvalue), λ, and every strength's validation AUC. */
  ridge?: { strength: number; lambda: number; path: { strength: number; valAuc: number }[] };
  /** --crop-faces: the images in which no face was found (used whole). */
  faceless?: string[];
}

export interface SessionOptions {
  signal?: AbortSignal;
  onEvent?: (event: TrainEvent) => void;
  /** Folder holding one checkpoint folder per run (default: `runs/` beside the database). */
  runsDir: string;
  /** Root of the frozen-backbone feature cache (default: `feature-cache/` beside `runsDir`). */
  featureCacheDir?: string;
}

/** What a run trains with, built before it is planned. */
export interface PreparedRun {
  scan: DatasetScan;
  loaders: { train: Loader; val: Loader; test: Loader | null };
  model: tf.LayersModel;
  optimizer: FusedOptimizer;
  faceCropper?: FaceCropper;
}

/** A run resolved before it trains: its record, request and engine, where it starts, and its best epoch so far. */
export interface RunPlan {
  runId: number;
  request: TrainRequest;
  engine: string;
  startEpoch: number;
  best?: BestSoFar;
  /** How the backbone is trained (the start line of a pretrained model's run). */
  training?: string;
  prepared: PreparedRun;
}

/** Frozen-backbone runs: caches the backbone's views (or trunk's cut activations) and returns the cached passes. */
async function prepareFeatures(plan: RunPlan, options: SessionOptions): Promise<FrozenTraining | null> {
  const { request, prepared, startEpoch } = plan;
  const pretrained = modelEntry(request.model).pretrained;
  const { loaders, model, optimizer } = prepared;
  const cacheRoot = options.featureCacheDir ?? path.join(path.dirname(options.runsDir), 'feature-cache');
  const onFeatures = (p: FeatureProgress) => options.onEvent?.({ type: 'features', ...p });
  if (!pretrained) return null;
  if (!request.freezeBackbone) {
    // A resumed run has its fitted standardisation in the checkpoint.
    if (request.pretrained && startEpoch === 0) {
      await adaptFeatureNorm(model, pretrained.featureLayer, loaders.train.dataset, cacheRoot, {
        batchSize: request.batchSize,
        signal: options.signal,
        onFeatures,
      });
    }
    return null;
  }
  const frozen = await prepareFrozen(
    {
      model,
      featureLayer: pretrained.featureLayer,
      cutLayer: cutForUnfreeze(modelEntry(request.model), request.model, typeof request.unfreezeBlocks === 'number' ? request.unfreezeBlocks : 0),
      backboneLrScale: request.backboneLrScale ?? DEFAULT_BACKBONE_LR_SCALE,
      ttaFlip: request.ttaFlip,
      selfBlend: request.selfBlend,
      datasets: { train: loaders.train.dataset, val: loaders.val.dataset, test: loaders.test?.dataset ?? null },
      views: request.featureViews ?? TRAIN_DEFAULTS.featureViews,
      trainViews: request.trainViews,
      augment: request.augment,
      balancedBatches: request.balancedBatches,
      headFit: request.headFit,
      batchSize: request.batchSize,
      seed: request.seed,
      cacheRoot,
      adaptNorm: startEpoch === 0,
      signal: options.signal,
      onFeatures,
    },
    optimizer,
  );
  options.onEvent?.({ type: 'features-done', ...frozen.stats });
  return frozen;
}

/** Trains a planned run to its last epoch, recording each epoch; the run ends completed, cancelled or failed. */
export async function executeRun(store: RunStore, plan: RunPlan, options: SessionOptions): Promise<TrainOutcome> {
  const started = performance.now();
  const { runId, request, engine, startEpoch } = plan;
  store.markStarted(runId, engine);
  options.onEvent?.({ type: 'start', runId, engine, startEpoch, epochs: request.epochs, training: plan.training });
  const { loaders, model, optimizer, faceCropper } = plan.prepared;
  let frozen: FrozenTraining | null = null;
  try {
    frozen = await prepareFeatures(plan, options);
    const fitStarted = performance.now();
    const history = await fit({
      model,
      optimizer,
      loaders,
      passes: frozen?.passes,
      ttaFlip: request.ttaFlip,
      epochs: request.epochs,
      checkpointDir: path.join(options.runsDir, String(runId)),
      startEpoch,
      best: plan.best,
      selectBy: request.selectBy,
      patience: request.patience,
      learningRate:
        request.schedule || request.warmupEpochs
          ? (t) =>
              learningRateAt({ schedule: request.schedule ?? 'constant', lr: request.lr, epochs: request.epochs, warmupEpochs: request.warmupEpochs ?? 0 }, t)
          : undefined,
      signal: options.signal,
      callbacks: {
        onBatch: (phase, epoch, p) => options.onEvent?.({ type: 'batch', phase, epoch, epochs: request.epochs, ...p }),
        onEpoch: (metrics, checkpoints) => {
          store.recordEpoch(runId, metrics, checkpoints);
          options.onEvent?.({ type: 'epoch', metrics });
        },
      },
    });
    store.finish(runId, 'completed');
    const headSeconds = (performance.now() - fitStarted) / 1000;
    return outcomeOf(store.getRunSummary(runId), { engine, history, frozen, headSeconds, faceCropper, wallSeconds: (performance.now() - started) / 1000 });
  } catch (error) {
    throw store.endWithError(runId, error); // cancelled or failed; never hides `error` behind a store failure
  } finally {
    frozen?.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

function outcomeOf(
  summary: RunSummary,
  ran: { engine: string; history: EpochMetrics[]; frozen: FrozenTraining | null; headSeconds: number; faceCropper?: FaceCropper; wallSeconds: number },
): TrainOutcome {
  const { frozen, history, faceCropper } = ran;
  return {
    run: summary.id,
    epochs: summary.epochsDone,
    bestValAcc: summary.bestValAcc,
    bestEpoch: summary.bestEpoch,
    testAccAtBestVal: summary.testAccAtBestVal,
    wallSeconds: ran.wallSeconds,
    engine: ran.engine,
    decodeShare: history.length ? history.reduce((s, m) => s + m.decodeShare, 0) / history.length : 0,
    ...(frozen
      ? {
          freezeBackbone: true,
          features: {
            seconds: frozen.stats.seconds,
            computed: frozen.stats.computed,
            cached: frozen.stats.cached,
            weightsHash: frozen.stats.weightsHash,
            skipped: frozen.stats.bad.length,
          },
          headSeconds: ran.headSeconds,
          ...(frozen.ridge ? { ridge: frozen.ridge } : {}),
        }
      : {}),
    ...(faceCropper ? { faceless: [...faceCropper.faceless].sort() } : {}),
  };
}
