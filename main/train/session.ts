// A training run end to end: scan the dataset, record the run, train with checkpoints, and keep the store current.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLoader, datasetsFromScan, FaceCropper, fingerprintDataset, scanDataset, type DatasetScan } from '../data/index.js';
import { UnmaskError } from '../engine/errors.js';
import { initEngine } from '../engine/select.js';
import { modelEntry, type ModelName } from '../models/registry.js';
import type { RunStore, RunSummary, TrainParams } from '../store/index.js';
import type { BatchProgress } from './epoch.js';
import type { FeatureProgress } from './features.js';
import { bestOf, fit, restoreEpoch, type BestSoFar, type EpochMetrics, type Phase } from './fit.js';
import { cutForUnfreeze, DEFAULT_BACKBONE_LR_SCALE, recipeFromParams, type RecipeOptions } from './recipe.js';
import { learningRateAt } from './schedule.js';
import { backboneParams, resolveFreeze, resumedMode } from './backbone-mode.js';
import { adaptFeatureNorm, prepareFrozen, type FrozenStats, type FrozenTraining } from './frozen.js';
import { FusedOptimizer, type OptimizerName } from './optimizers.js';
import { checkTrainRequest, type TrainRequest } from './request.js';
import { TRAIN_DEFAULTS } from './request-schema.js';

export type TrainEvent =
  | { type: 'scan'; scan: DatasetScan }
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

async function prepare(request: TrainRequest, options: SessionOptions, loadPretrained = true) {
  const scan = await scanDataset(request.dataset, { seed: request.seed });
  options.onEvent?.({ type: 'scan', scan });
  const faceCropper = request.cropFaces ? new FaceCropper() : undefined;
  const sets = datasetsFromScan(scan, { faceCropper });
  for (const split of ['train', 'val'] as const) {
    if (sets[split].length === 0) throw new UnmaskError('DATASET_INVALID', `${scan.root} has no usable ${split} images`);
  }
  const loaders = {
    train: createLoader(sets.train, { batchSize: request.batchSize, shuffle: true, augment: true, seed: request.seed }),
    val: createLoader(sets.val, { batchSize: request.batchSize }),
    test: sets.test.length > 0 ? createLoader(sets.test, { batchSize: request.batchSize }) : null,
  };
  const entry = modelEntry(request.model);
  const model = entry.create({ seed: request.seed });
  if (request.pretrained && entry.pretrained && loadPretrained) {
    const t0 = performance.now();
    try {
      const loaded = await entry.pretrained.load(model, {
        weights: request.weights,
        onProgress: (received, total) => options.onEvent?.({ type: 'download', received, total }),
      });
      options.onEvent?.({ type: 'pretrained', source: request.weights ?? entry.pretrained.source, layers: loaded.layers, tensors: loaded.tensors, seconds: (performance.now() - t0) / 1000 });
    } catch (error) {
      model.dispose();
      throw error;
    }
  }
  const optimizer = new FusedOptimizer({ name: request.optimizer, lr: request.lr, ...(request.weightDecay != null ? { weightDecay: request.weightDecay } : {}) });
  return { scan, loaders, model, optimizer, faceCropper };
}

type Prepared = Awaited<ReturnType<typeof prepare>>;

/** A run resolved before it trains: its record, request and engine, where it starts, and its best epoch so far. */
interface RunPlan {
  runId: number;
  request: TrainRequest;
  engine: string;
  startEpoch: number;
  best?: BestSoFar;
  /** How the backbone is trained (the start line of a pretrained model's run). */
  training?: string;
  prepared: Prepared;
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
      await adaptFeatureNorm(model, pretrained.featureLayer, loaders.train.dataset, cacheRoot, { batchSize: request.batchSize, signal: options.signal, onFeatures });
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
async function executeRun(store: RunStore, plan: RunPlan, options: SessionOptions): Promise<TrainOutcome> {
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
          ? (t) => learningRateAt({ schedule: request.schedule ?? 'constant', lr: request.lr, epochs: request.epochs, warmupEpochs: request.warmupEpochs ?? 0 }, t)
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
          features: { seconds: frozen.stats.seconds, computed: frozen.stats.computed, cached: frozen.stats.cached, weightsHash: frozen.stats.weightsHash, skipped: frozen.stats.bad.length },
          headSeconds: ran.headSeconds,
          ...(frozen.ridge ? { ridge: frozen.ridge } : {}),
        }
      : {}),
    ...(faceCropper ? { faceless: [...faceCropper.faceless].sort() } : {}),
  };
}

/** The recipe fields a request sets, as recorded in a run's params (the baseline recipe records none). */
function recipeOf(request: TrainRequest): RecipeOptions {
  const keys: (keyof RecipeOptions)[] = ['unfreezeBlocks', 'backboneLrScale', 'schedule', 'warmupEpochs', 'weightDecay', 'selectBy', 'patience', 'ttaFlip', 'selfBlend', 'trainViews', 'headFit', 'cropFaces'];
  return Object.fromEntries(keys.filter((k) => request[k] != null).map((k) => [k, request[k]])) as RecipeOptions;
}

/** Starts a new run: scans and fingerprints the dataset, records the run, trains `epochs` epochs. */
export async function trainRun(store: RunStore, request: TrainRequest, options: SessionOptions): Promise<TrainOutcome> {
  const engine = (await initEngine()).engine;
  const pretrained = modelEntry(request.model).pretrained;
  const mode = pretrained ? resolveFreeze(request, engine) : undefined;
  if (mode) request = { ...request, freezeBackbone: mode.freeze };
  const prepared = await prepare(request, options);
  const params: TrainParams = { lr: request.lr, batchSize: request.batchSize, epochs: request.epochs, optimizer: request.optimizer, seed: request.seed };
  // Recorded so the run list says how it was trained, and so `resume` trains it the same way.
  if (pretrained) Object.assign(params, backboneParams(request, pretrained.source));
  Object.assign(params, recipeOf(request));
  const run = store.createRun({
    model: request.model,
    datasetPath: prepared.scan.root,
    datasetFingerprint: await fingerprintDataset(prepared.scan),
    params,
    engine,
  });
  return executeRun(store, { runId: run.id, request, engine, startEpoch: 0, training: mode?.why, prepared }, options);
}

/**
 * Continues a run from its last completed epoch with the same data order and augmentations. Refuses a
 * dataset whose content changed since the run started.
 */
export async function resumeRun(store: RunStore, runId: number, options: SessionOptions): Promise<TrainOutcome> {
  // Before the model is built, as in trainRun: a checkpoint loaded on tfjs's default backend breaks once the
  // wasm engine takes over ("Cannot perform Construct on a detached ArrayBuffer" with UNMASK_THREADS=1).
  const engine = (await initEngine()).engine;
  const run = store.getRun(runId);
  if (run.status === 'running') throw new UnmaskError('BAD_ARGUMENT', `run ${runId} is running`);
  const done = store.getEpochs(runId);
  const p = run.params;
  const request = checkTrainRequest({
    lr: p.lr,
    batchSize: p.batchSize,
    epochs: p.epochs,
    seed: p.seed,
    dataset: run.datasetPath,
    model: run.model as ModelName,
    optimizer: p.optimizer as OptimizerName,
    // A run recorded before pretrained backbones existed was trained from scratch.
    pretrained: typeof p.pretrained === 'boolean' ? p.pretrained : false,
    weights: typeof p.weights === 'string' ? p.weights : undefined,
    freezeBackbone: typeof p.freezeBackbone === 'boolean' ? p.freezeBackbone : undefined,
    featureViews: typeof p.featureViews === 'number' ? p.featureViews : undefined,
    ...recipeFromParams(p),
  });
  if (done.length >= request.epochs) throw new UnmaskError('BAD_ARGUMENT', `run ${runId} already has all ${request.epochs} epochs`);
  // A checkpoint holds every weight; the pretrained ones are only needed when no epoch was recorded.
  const prepared = await prepare(request, options, done.length === 0);
  if ((await fingerprintDataset(prepared.scan)) !== run.datasetFingerprint) {
    throw new UnmaskError('DATASET_INVALID', `the dataset at ${run.datasetPath} changed since run ${runId} started; start a new run`);
  }
  const startEpoch = done.length === 0 ? 0 : restoreEpoch(path.join(options.runsDir, String(runId)), done.length, prepared.model, prepared.optimizer);
  if (startEpoch !== done.length) throw new UnmaskError('INTERNAL', `run ${runId}: checkpoint is at epoch ${startEpoch} but ${done.length} epochs are recorded`);
  return executeRun(store, { runId, request, engine, startEpoch, training: resumedMode(request), best: bestOf(done, request.selectBy ?? 'accuracy'), prepared }, options);
}
