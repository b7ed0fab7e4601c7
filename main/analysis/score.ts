// scoreRun: re-scores every image of one split with a run's saved checkpoint and stores the per-image outputs.
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { createLoader, datasetsFromScan, fingerprintDataset, scanDataset, SPLITS, type BadFile, type FaceDataset, type SplitName } from '../data/index.js';
import { UnmaskError } from '../engine/errors.js';
import { initEngine } from '../engine/select.js';
import { isModelName, MODEL_NAMES, models } from '../models/registry.js';
import type { CheckpointRecord, RunStore, ScoreRow } from '../store/index.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { evaluate, type BatchProgress, type ImageScores } from '../train/epoch.js';
import { summarize, type MetricSummary } from './metrics.js';

/** Which weights of a run to score with. */
export type CheckpointKind = CheckpointRecord['kind'];

export interface ScoreOptions {
  /** Split of the dataset to score (default 'test'). */
  split?: SplitName;
  /** 'best' (highest validation accuracy, the default) or 'last' (the latest epoch). */
  checkpoint?: CheckpointKind;
  /** Images per forward pass (default: the run's training batch size). */
  batchSize?: number;
  /** Score this dataset folder instead of the run's own (run.datasetPath); same layout rules. */
  dataset?: string;
  onProgress?: (progress: BatchProgress) => void;
  signal?: AbortSignal;
}

export interface ScoreResult {
  run: number;
  split: SplitName;
  /** The checkpoint that was scored (path absolute). */
  checkpoint: CheckpointRecord;
  /** The dataset folder that was scored. */
  dataset: string;
  /**
   * Whether the dataset still has the content the run was trained on (same fingerprint); null when an
   * override dataset was scored, which is compared with nothing.
   */
  datasetMatchesRun: boolean | null;
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

/**
 * Scores every image of `set` with `model` (input [batch, 256, 256, 3] normalised → logits [batch, 2]) in
 * inference mode, `batchSize` images per forward pass, in dataset order. Shared by `scoreRun` and `unmask bonus`.
 */
export async function scoreImages(
  model: tf.LayersModel,
  set: FaceDataset,
  options: { batchSize: number; ttaFlip?: boolean; onProgress?: (progress: BatchProgress) => void; signal?: AbortSignal },
): Promise<ImageSetScores> {
  const loader = createLoader(set, { batchSize: options.batchSize });
  const pass = await evaluate(model, loader, { collect: true, ttaFlip: options.ttaFlip, onBatch: options.onProgress, signal: options.signal });
  const rows = toScoreRows(pass.scores!);
  const labels = rows.map((r) => r.label);
  const both = labels.includes(0) && labels.includes(1);
  return { rows, summary: both ? summarize(labels, rows.map((r) => r.probs[1])) : null, skipped: [...loader.bad] };
}

function checkOptions(options: ScoreOptions): { split: SplitName; kind: CheckpointKind } {
  const split = options.split ?? 'test';
  if (!(SPLITS as readonly string[]).includes(split)) throw new UnmaskError('BAD_ARGUMENT', `split must be one of ${SPLITS.join(', ')}, got '${String(split)}'`);
  const bs = options.batchSize;
  if (bs !== undefined && !(Number.isInteger(bs) && bs > 0)) throw new UnmaskError('BAD_ARGUMENT', `batch size must be a positive integer, got ${bs}`);
  return { split, kind: options.checkpoint ?? 'best' };
}

/**
 * Loads run `runId`'s model with its 'best' (default) or 'last' checkpoint, scores every image of the split
 * (default 'test') of the run's dataset in inference mode, and saves each image's logits and softmax with
 * store.saveScores(runId, split, rows), replacing earlier scores of that split. The dataset is scanned with
 * the run's seed, so a derived (flat-layout) split holds the same images as in training.
 * Throws UnmaskError: NOT_FOUND (run, checkpoint or dataset folder), BAD_ARGUMENT (options, unknown model),
 * DATASET_INVALID (the split is empty or nothing decodes), CANCELLED (signal).
 */
export async function scoreRun(store: RunStore, runId: number, options: ScoreOptions = {}): Promise<ScoreResult> {
  const started = performance.now();
  const { split, kind } = checkOptions(options);
  const run = store.getRun(runId);
  if (!isModelName(run.model)) throw new UnmaskError('BAD_ARGUMENT', `run ${runId} uses model '${run.model}', which this build does not have (${MODEL_NAMES.join(', ')})`);
  const checkpoint = findCheckpoint(store, runId, kind);
  const root = path.resolve(options.dataset ?? run.datasetPath);
  const scan = await scanDataset(root, { seed: run.params.seed });
  const set = datasetsFromScan(scan)[split];
  if (set.length === 0) throw new UnmaskError('DATASET_INVALID', `${scan.root} has no ${split} images to score`);
  const datasetMatchesRun = options.dataset === undefined ? (await fingerprintDataset(scan)) === run.datasetFingerprint : null;
  const engine = (await initEngine()).engine;
  const model = models[run.model].create();
  try {
    loadCheckpoint(checkpoint.path, model);
    const batchSize = options.batchSize ?? run.params.batchSize ?? 32;
    // A run trained with test-time flips is scored with them, as its recorded validation metrics were.
    const ttaFlip = run.params.ttaFlip === true;
    const { rows, summary, skipped } = await scoreImages(model, set, { batchSize, ttaFlip, onProgress: options.onProgress, signal: options.signal });
    store.saveScores(runId, split, rows);
    return {
      run: runId,
      split,
      checkpoint,
      dataset: scan.root,
      datasetMatchesRun,
      engine,
      n: rows.length,
      summary,
      skipped,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    model.dispose();
  }
}
