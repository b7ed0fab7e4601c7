// scoreRun: a run's own scores (its best checkpoint on a split of its own dataset), and the scoring both it and evaluations use.
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import {
  createLoader,
  datasetsFromScan,
  FaceCropper,
  fingerprintDataset,
  foldersText,
  scanFolders,
  scanRunDataset,
  SPLITS,
  type BadFile,
  type DatasetOptions,
  type FaceDataset,
  type SplitName,
} from '../data/index.js';
import { FaceFinder, faceCacheDir } from '../data/face-cache.js';
import { UnmaskError } from '../engine/errors.js';
import { initEngine } from '../engine/select.js';
import { isModelName, MODEL_NAMES, modelEntry, models, type ModelName } from '../models/registry.js';
import { readsPartBoxes } from '../models/xception-parts.js';
import type { CheckpointKind, CheckpointRecord, RunRecord, RunStore, ScoreRow } from '../store/index.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { scoreCached } from '../train/cached-scores.js';
import { evaluate, type BatchProgress, type ImageScores } from '../train/epoch.js';
import { summarize, type MetricSummary } from './metrics.js';

/** Which weights of a run to score with. */
export type { CheckpointKind } from '../store/types.js';

export interface ScoreOptions {
  /** Split of the run's own dataset to score (default 'test'). */
  split?: SplitName;
  /** A run's own scores are always its best checkpoint's; any other checkpoint is an evaluation (evaluate.ts). */
  checkpoint?: 'best';
  /** Images per forward pass (default: the run's training batch size). */
  batchSize?: number;
  onProgress?: (progress: BatchProgress) => void;
  signal?: AbortSignal;
}

export interface ScoreResult {
  run: number;
  split: SplitName;
  /** The checkpoint that was scored (path absolute): always the best. */
  checkpoint: CheckpointRecord;
  /** The run's dataset folder, which was scored (its folders joined with " + " when it trained on several). */
  dataset: string;
  /** Always 'own': the scores that define the run (see evaluate.ts for every other scoring). */
  recordedAs: 'own';
  engine: string;
  /** Images scored and saved. */
  n: number;
  /** summarize(labels, P(fake)) at threshold 0.5; null when the split holds only one class (no ROC exists). */
  summary: MetricSummary | null;
  /** Images that failed to decode and were left out. */
  skipped: BadFile[];
  seconds: number;
}

/** The run's checkpoint of `kind`, its path made absolute (a relative one is taken relative to the store file). */
export function findCheckpoint(store: RunStore, runId: number, kind: CheckpointKind): CheckpointRecord {
  if (kind !== 'best' && kind !== 'last') throw new UnmaskError('BAD_ARGUMENT', `checkpoint must be best or last, got '${String(kind)}'`);
  const found = store.getCheckpoints(runId).find((c) => c.kind === kind);
  if (!found) throw new UnmaskError('NOT_FOUND', `run ${runId} has no '${kind}' checkpoint (it finished no epoch)`);
  return { ...found, path: path.resolve(path.dirname(store.file), found.path) };
}

/** Per-image rows in the store's shape from an evaluation pass's flat [n, 2] arrays. */
export function toScoreRows(scores: ImageScores): ScoreRow[] {
  return scores.paths.map((p, i) => {
    const label = scores.labels[i];
    if (label !== 0 && label !== 1) throw new UnmaskError('INTERNAL', `image ${p} has label ${String(label)}`);
    return {
      path: p,
      label,
      logits: [scores.logits[2 * i]!, scores.logits[2 * i + 1]!],
      probs: [scores.probs[2 * i]!, scores.probs[2 * i + 1]!],
    };
  });
}

/** What {@link scoreImages} returns: per-image rows, their metrics, and the images left out. */
export interface ImageSetScores {
  rows: ScoreRow[];
  /** summarize(labels, P(fake)) at threshold 0.5; null when the images hold only one class (no ROC exists). */
  summary: MetricSummary | null;
  /** Images that failed to decode and were left out. */
  skipped: BadFile[];
}

/** Where a frozen-backbone detector's features are cached, so scoring it runs its head over them (see scoreCached). */
export interface CachedFeatures {
  cacheRoot: string;
  featureLayer: string;
  /** Keep newly computed features on disk (default true). */
  keep?: boolean;
}

/**
 * Scores every image of `set` with `model` (input [batch, 256, 256, 3] normalised → logits [batch, 2]) in
 * inference mode, `batchSize` images per forward pass, in dataset order. With `cached`, the frozen trunk's
 * features come from (or go to) the feature cache and only the head runs: the numbers training recorded.
 * Shared by `scoreRun`, `evaluateRun`, `predict` and `unmask bonus`.
 */
export async function scoreImages(
  model: tf.LayersModel,
  set: FaceDataset,
  options: {
    batchSize: number;
    ttaFlip?: boolean;
    onProgress?: (progress: BatchProgress) => void;
    signal?: AbortSignal;
    faces?: FaceFinder;
    cached?: CachedFeatures;
  },
): Promise<ImageSetScores> {
  const { scores, skipped } = options.cached
    ? await scoreCached(model, set, {
        ...options.cached,
        batchSize: options.batchSize,
        ttaFlip: options.ttaFlip,
        signal: options.signal,
        onProgress: options.onProgress,
      }).then((r) => ({
        scores: r.scores,
        skipped: r.bad as BadFile[],
      }))
    : await scoreForward(model, set, options);
  const rows = toScoreRows(scores);
  const labels = rows.map((r) => r.label);
  const both = labels.includes(0) && labels.includes(1);
  return {
    rows,
    summary: both
      ? summarize(
          labels,
          rows.map((r) => r.probs[1]),
        )
      : null,
    skipped,
  };
}

/** The full forward pass over a loader of `set` (a face-part detector's landmarks found per image on the way). */
async function scoreForward(
  model: tf.LayersModel,
  set: FaceDataset,
  options: { batchSize: number; ttaFlip?: boolean; onProgress?: (progress: BatchProgress) => void; signal?: AbortSignal; faces?: FaceFinder },
): Promise<{ scores: ImageScores; skipped: BadFile[] }> {
  const faces = readsPartBoxes(model) ? (options.faces ?? new FaceFinder(faceCacheDir())) : undefined;
  const loader = createLoader(set, { batchSize: options.batchSize, faces });
  const pass = await evaluate(model, loader, { collect: true, ttaFlip: options.ttaFlip, onBatch: options.onProgress, signal: options.signal });
  return { scores: pass.scores!, skipped: [...loader.bad] };
}

/**
 * How a run's checkpoints are best scored: through its feature cache when it trained a head on a frozen
 * backbone's pooled features (the cache beside the run database), else by full forward passes.
 */
export function cachedFeaturesOf(run: RunRecord, dbFile: string | undefined, keep = true): CachedFeatures | undefined {
  const name = runModelName(run);
  const featureLayer = modelEntry(name).pretrained?.featureLayer;
  const unfrozen = run.params.unfreezeBlocks;
  if (!dbFile || !featureLayer || run.params.freezeBackbone !== true || (unfrozen != null && unfrozen !== 0)) return undefined;
  return { cacheRoot: path.join(path.dirname(dbFile), 'feature-cache'), featureLayer, keep };
}

function checkOptions(options: ScoreOptions): SplitName {
  const split = options.split ?? 'test';
  if (!(SPLITS as readonly string[]).includes(split))
    throw new UnmaskError('BAD_ARGUMENT', `split must be one of ${SPLITS.join(', ')}, got '${String(split)}'`);
  if (options.checkpoint !== undefined && options.checkpoint !== 'best') {
    throw new UnmaskError('BAD_ARGUMENT', `a run's own scores are its best checkpoint's; score '${String(options.checkpoint)}' as an evaluation`);
  }
  checkBatchSize(options.batchSize);
  return split;
}

/** Throws BAD_ARGUMENT unless `batchSize` is undefined or a positive integer. */
export function checkBatchSize(batchSize: number | undefined): void {
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new UnmaskError('BAD_ARGUMENT', `batch size must be a positive integer, got ${batchSize}`);
  }
}

/** The run's model name, checked against this build's registry. */
export function runModelName(run: RunRecord): ModelName {
  if (!isModelName(run.model))
    throw new UnmaskError('BAD_ARGUMENT', `run ${run.id} uses model '${run.model}', which this build does not have (${MODEL_NAMES.join(', ')})`);
  return run.model;
}

/**
 * Scores `set` with `run`'s model loaded from `checkpoint` (inference mode; with test-time flips when the run
 * trained with them, as its recorded validation metrics were), `batchSize` images per pass (default the run's).
 */
export async function scoreWithCheckpoint(
  run: RunRecord,
  checkpoint: CheckpointRecord,
  set: FaceDataset,
  options: { batchSize?: number; onProgress?: (progress: BatchProgress) => void; signal?: AbortSignal; cached?: CachedFeatures } = {},
): Promise<ImageSetScores & { engine: string }> {
  const name = runModelName(run);
  const engine = (await initEngine()).engine;
  const model = models[name].create();
  try {
    loadCheckpoint(checkpoint.path, model);
    const batchSize = options.batchSize ?? run.params.batchSize ?? 32;
    const scores = await scoreImages(model, set, {
      batchSize,
      ttaFlip: run.params.ttaFlip === true,
      onProgress: options.onProgress,
      signal: options.signal,
      cached: options.cached,
    });
    return { ...scores, engine };
  } finally {
    model.dispose();
  }
}

/**
 * The run's own scores of a split: loads run `runId`'s best checkpoint, scores every image of that split
 * (default 'test') of the run's own dataset in inference mode, and saves each image's logits and softmax with
 * store.saveScores, replacing the run's earlier own scores of that split (the same weights on the same images).
 * The dataset is scanned with the run's seed, so a derived (flat-layout) split holds the same images as in
 * training, and must still hold what the run was trained on (same content fingerprint). Scoring another folder
 * or checkpoint is an evaluation: see evaluateRun.
 * Throws UnmaskError: NOT_FOUND (run, checkpoint or dataset folder), BAD_ARGUMENT (options, unknown model),
 * DATASET_INVALID (the split is empty, nothing decodes, or the folder's content changed), CANCELLED (signal).
 */
/** How a run's images are decoded: as it was trained (a --crop-faces run sees face crops everywhere). */
export function imageOptionsOf(run: RunRecord): DatasetOptions {
  return run.params.cropFaces === true ? { faceCropper: new FaceCropper() } : {};
}

export async function scoreRun(store: RunStore, runId: number, options: ScoreOptions = {}): Promise<ScoreResult> {
  const started = performance.now();
  const split = checkOptions(options);
  const run = store.getRun(runId);
  runModelName(run);
  const checkpoint = findCheckpoint(store, runId, 'best');
  const scan = await scanRunDataset(run);
  const folders = scanFolders(scan);
  const where = foldersText(folders);
  const set = datasetsFromScan(scan, imageOptionsOf(run))[split];
  if (set.length === 0) throw new UnmaskError('DATASET_INVALID', `${where} has no ${split} images to score`);
  if ((await fingerprintDataset(scan)) !== run.datasetFingerprint) {
    throw new UnmaskError(
      'DATASET_INVALID',
      `${where} no longer holds the images run ${runId} was trained on (its content changed), so the run's own ${split} scores ` +
        `cannot be taken from it. To score ${folders.length > 1 ? 'one of the folders' : 'the folder'} as it is now, record an evaluation: ` +
        `unmask evaluate --run ${runId} -d ${folders.length > 1 ? 'FOLDER' : scan.root} --split ${split}`,
    );
  }
  const { rows, summary, skipped, engine } = await scoreWithCheckpoint(run, checkpoint, set, { ...options, cached: cachedFeaturesOf(run, store.file) });
  store.saveScores(runId, split, rows, { checkpointEpoch: checkpoint.epoch });
  return {
    run: runId,
    split,
    checkpoint,
    dataset: where,
    recordedAs: 'own',
    engine,
    n: rows.length,
    summary,
    skipped,
    seconds: (performance.now() - started) / 1000,
  };
}
