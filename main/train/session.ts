// A training session: scan the dataset, build the model and loaders, record the run (or find it, to resume), plan it,
// and hand the plan to executeRun (execute.ts).
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  createLoader,
  datasetsFromScan,
  FaceCropper,
  fingerprintDataset,
  foldersText,
  runFolders,
  scanDatasets,
  SPLITS,
  type DatasetScan,
} from '../data/index.js';
import { UnmaskError } from '../engine/errors.js';
import { initEngine } from '../engine/select.js';
import { modelEntry, type ModelName } from '../models/registry.js';
import type { RunStore, TrainParams } from '../store/index.js';
import { bestOf, restoreEpoch } from './fit.js';
import { recipeFromParams, type RecipeOptions } from './recipe.js';
import { RECIPE_KEYS } from './recipe-types.js';
import { backboneParams, resolveFreeze, resumedMode } from './backbone-mode.js';
import { FusedOptimizer, type OptimizerName } from './optimizers.js';
import { checkTrainRequest, type TrainRequest } from './request.js';
import { datasetFolders } from './request-schema.js';

import { executeRun, type PreparedRun, type SessionOptions, type TrainOutcome } from './execute.js';

export type { SessionOptions, TrainEvent, TrainOutcome } from './execute.js';

async function prepare(request: TrainRequest, options: SessionOptions, loadPretrained = true): Promise<PreparedRun> {
  const scan = await scanDatasets(datasetFolders(request.dataset), { seed: request.seed });
  options.onEvent?.({ type: 'scan', scan });
  const faceCropper = request.cropFaces ? new FaceCropper() : undefined;
  const sets = datasetsFromScan(scan, { faceCropper });
  // Each folder of several must hold what one folder must: a folder without a val split would go unvalidated.
  for (const part of scan.parts ?? [scan]) {
    for (const split of ['train', 'val'] as const) {
      if (part.splits[split].samples.length === 0) throw new UnmaskError('DATASET_INVALID', `${part.root} has no usable ${split} images`);
    }
  }
  const loaders = {
    train: createLoader(sets.train, {
      batchSize: request.batchSize,
      shuffle: true,
      augment: true,
      policy: request.augment,
      balanced: request.balancedBatches,
      seed: request.seed,
    }),
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
      options.onEvent?.({
        type: 'pretrained',
        source: request.weights ?? entry.pretrained.source,
        layers: loaded.layers,
        tensors: loaded.tensors,
        seconds: (performance.now() - t0) / 1000,
      });
    } catch (error) {
      model.dispose();
      throw error;
    }
  }
  const optimizer = new FusedOptimizer({
    name: request.optimizer,
    lr: request.lr,
    ...(request.weightDecay != null ? { weightDecay: request.weightDecay } : {}),
  });
  return { scan, loaders, model, optimizer, faceCropper };
}

/** The recipe fields a request sets, as recorded in a run's params (the baseline recipe records none). */
function recipeOf(request: TrainRequest): RecipeOptions {
  return Object.fromEntries(RECIPE_KEYS.filter((k) => request[k] != null).map((k) => [k, request[k]])) as RecipeOptions;
}

/** How many images of a scan have the same bytes as another of its images (`digests`: sha256 by path). */
function duplicateFiles(scan: DatasetScan, digests: ReadonlyMap<string, string>): number {
  const hashes = SPLITS.flatMap((split) => scan.splits[split].samples.map((s) => digests.get(s.path)));
  const count = new Map<string | undefined, number>();
  for (const h of hashes) count.set(h, (count.get(h) ?? 0) + 1);
  return hashes.filter((h) => count.get(h)! > 1).length;
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
  // Several folders: the store's dataset column holds the first, params.datasets all of them (read by runFolders).
  if (prepared.scan.parts) params.datasets = prepared.scan.parts.map((p) => p.root);
  const digests = new Map<string, string>();
  const run = store.createRun({
    model: request.model,
    datasetPath: prepared.scan.root,
    datasetFingerprint: await fingerprintDataset(prepared.scan, 16, digests),
    params,
    engine,
  });
  if (prepared.scan.parts) options.onEvent?.({ type: 'duplicates', files: duplicateFiles(prepared.scan, digests) });
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
  const folders = runFolders(run);
  const request = checkTrainRequest({
    lr: p.lr,
    batchSize: p.batchSize,
    epochs: p.epochs,
    seed: p.seed,
    dataset: folders,
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
    throw new UnmaskError('DATASET_INVALID', `the dataset at ${foldersText(folders)} changed since run ${runId} started; start a new run`);
  }
  const startEpoch = done.length === 0 ? 0 : restoreEpoch(path.join(options.runsDir, String(runId)), done.length, prepared.model, prepared.optimizer);
  if (startEpoch !== done.length)
    throw new UnmaskError('INTERNAL', `run ${runId}: checkpoint is at epoch ${startEpoch} but ${done.length} epochs are recorded`);
  return executeRun(
    store,
    { runId, request, engine, startEpoch, training: resumedMode(request), best: bestOf(done, request.selectBy ?? 'accuracy'), prepared },
    options,
  );
}
