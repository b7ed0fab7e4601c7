// A training run end to end: scan the dataset, record the run, train with checkpoints, and keep the store current.
import path from 'node:path';
import { createLoader, datasetsFromScan, fingerprintDataset, scanDataset, type DatasetScan } from '../data/index.js';
import { UnmaskError } from '../engine/errors.js';
import { initEngine } from '../engine/select.js';
import { isModelName, MODEL_NAMES, models, type ModelName } from '../models/registry.js';
import type { RunStore, TrainParams } from '../store/index.js';
import type { BatchProgress } from './epoch.js';
import { fit, restoreEpoch, type EpochMetrics, type Phase } from './fit.js';
import { FusedOptimizer, OPTIMIZER_NAMES, type OptimizerName } from './optimizers.js';

export interface TrainRequest {
  dataset: string;
  model: ModelName;
  optimizer: OptimizerName;
  lr: number;
  batchSize: number;
  epochs: number;
  seed: number;
}

export type TrainEvent =
  | { type: 'scan'; scan: DatasetScan }
  | { type: 'start'; runId: number; engine: string; startEpoch: number; epochs: number }
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
}

export interface SessionOptions {
  signal?: AbortSignal;
  onEvent?: (event: TrainEvent) => void;
  /** Folder holding one checkpoint folder per run (default: `runs/` beside the database). */
  runsDir: string;
}

/** Validates a request (CLI flags and API payloads alike) and fills defaults. */
export function checkTrainRequest(r: Partial<TrainRequest> & { dataset?: string }): TrainRequest {
  const bad = (message: string): never => {
    throw new UnmaskError('BAD_ARGUMENT', message);
  };
  const model = r.model ?? 'SimpleNet';
  if (!isModelName(model)) bad(`unknown model '${model}'; choose one of ${MODEL_NAMES.join(', ')}`);
  const optimizer = r.optimizer ?? 'Adam';
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(optimizer)) bad(`unknown optimizer '${optimizer}'; choose one of ${OPTIMIZER_NAMES.join(', ')}`);
  const positive = (name: string, v: number | undefined, fallback: number, integer: boolean): number => {
    const value = v ?? fallback;
    if (!(Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value)))) bad(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
    return value;
  };
  if (!r.dataset) bad('a dataset folder is required (-d DATASET)');
  return {
    dataset: r.dataset!,
    model: model as ModelName,
    optimizer: optimizer as OptimizerName,
    lr: positive('lr', r.lr, 0.001, false),
    batchSize: positive('batch size', r.batchSize, 32, true),
    epochs: positive('epochs', r.epochs, 5, true),
    seed: Number.isInteger(r.seed) ? r.seed! : 0,
  };
}

async function prepare(request: TrainRequest, options: SessionOptions) {
  const scan = await scanDataset(request.dataset, { seed: request.seed });
  options.onEvent?.({ type: 'scan', scan });
  const sets = datasetsFromScan(scan);
  for (const split of ['train', 'val'] as const) {
    if (sets[split].length === 0) throw new UnmaskError('DATASET_INVALID', `${scan.root} has no usable ${split} images`);
  }
  const loaders = {
    train: createLoader(sets.train, { batchSize: request.batchSize, shuffle: true, augment: true, seed: request.seed }),
    val: createLoader(sets.val, { batchSize: request.batchSize }),
    test: sets.test.length > 0 ? createLoader(sets.test, { batchSize: request.batchSize }) : null,
  };
  const model = models[request.model].create({ seed: request.seed });
  const optimizer = new FusedOptimizer({ name: request.optimizer, lr: request.lr });
  return { scan, loaders, model, optimizer };
}

async function runFit(store: RunStore, runId: number, request: TrainRequest, startEpoch: number, options: SessionOptions, prepared: Awaited<ReturnType<typeof prepare>>, bestValAcc?: number): Promise<TrainOutcome> {
  const started = performance.now();
  const engine = (await initEngine()).engine;
  store.markStarted(runId, engine);
  options.onEvent?.({ type: 'start', runId, engine, startEpoch, epochs: request.epochs });
  const { loaders, model, optimizer } = prepared;
  try {
    const history = await fit({
      model,
      optimizer,
      loaders,
      epochs: request.epochs,
      checkpointDir: path.join(options.runsDir, String(runId)),
      startEpoch,
      bestValAcc,
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
    const summary = store.listRuns().find((r) => r.id === runId)!;
    return {
      run: runId,
      epochs: summary.epochsDone,
      bestValAcc: summary.bestValAcc,
      bestEpoch: summary.bestEpoch,
      testAccAtBestVal: summary.testAccAtBestVal,
      wallSeconds: (performance.now() - started) / 1000,
      engine,
      decodeShare: history.length ? history.reduce((s, m) => s + m.decodeShare, 0) / history.length : 0,
    };
  } catch (error) {
    const cancelled = error instanceof UnmaskError && error.code === 'CANCELLED';
    store.finish(runId, cancelled ? 'cancelled' : 'failed', cancelled ? undefined : String((error as Error).message ?? error));
    throw error;
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** Starts a new run: scans and fingerprints the dataset, records the run, trains `epochs` epochs. */
export async function trainRun(store: RunStore, request: TrainRequest, options: SessionOptions): Promise<TrainOutcome> {
  const engine = (await initEngine()).engine;
  const prepared = await prepare(request, options);
  const params: TrainParams = { lr: request.lr, batchSize: request.batchSize, epochs: request.epochs, optimizer: request.optimizer, seed: request.seed };
  const run = store.createRun({
    model: request.model,
    datasetPath: prepared.scan.root,
    datasetFingerprint: await fingerprintDataset(prepared.scan),
    params,
    engine,
  });
  return runFit(store, run.id, request, 0, options, prepared);
}

/**
 * Continues a run from its last completed epoch with the same data order and augmentations. Refuses a
 * dataset whose content changed since the run started.
 */
export async function resumeRun(store: RunStore, runId: number, options: SessionOptions): Promise<TrainOutcome> {
  const run = store.getRun(runId);
  if (run.status === 'running') throw new UnmaskError('BAD_ARGUMENT', `run ${runId} is running`);
  const done = store.getEpochs(runId);
  const request = checkTrainRequest({ ...run.params, dataset: run.datasetPath, model: run.model as ModelName, optimizer: run.params.optimizer as OptimizerName });
  if (done.length >= request.epochs) throw new UnmaskError('BAD_ARGUMENT', `run ${runId} already has all ${request.epochs} epochs`);
  const prepared = await prepare(request, options);
  if ((await fingerprintDataset(prepared.scan)) !== run.datasetFingerprint) {
    throw new UnmaskError('DATASET_INVALID', `the dataset at ${run.datasetPath} changed since run ${runId} started; start a new run`);
  }
  const startEpoch = done.length === 0 ? 0 : restoreEpoch(path.join(options.runsDir, String(runId)), done.length, prepared.model, prepared.optimizer);
  if (startEpoch !== done.length) throw new UnmaskError('INTERNAL', `run ${runId}: checkpoint is at epoch ${startEpoch} but ${done.length} epochs are recorded`);
  const bestValAcc = done.length ? Math.max(...done.map((e) => e.valAcc)) : undefined;
  return runFit(store, runId, request, startEpoch, options, prepared, bestValAcc);
}
