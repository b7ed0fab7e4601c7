// evaluateRun: scores a run on any folder, split or checkpoint and records it as an evaluation, apart from the run's own scores.
import path from 'node:path';
import {
  FaceCropper,
  FaceDataset,
  fingerprintDataset,
  fingerprintSamples,
  scanDataset,
  SPLITS,
  type BadFile,
  type DigestCache,
  type Sample,
} from '../data/index.js';
import { UnmaskError } from '../engine/errors.js';
import type { EvaluationRecord, EvaluationSplit, RunStore } from '../store/index.js';
import type { BatchProgress } from '../train/epoch.js';
import { DEFAULT_INTERVAL, evaluationMetrics, type EvaluationMetrics, type IntervalOptions } from './evaluation-metrics.js';
import { runThreshold } from './run-threshold.js';
import { cachedFeaturesOf, checkBatchSize, findCheckpoint, runModelName, scoreWithCheckpoint, type CheckpointKind } from './score.js';

export const EVALUATION_SPLITS: readonly EvaluationSplit[] = ['all', 'train', 'val', 'test'];

/**
 * How each image is prepared before the usual decode and 256 px resize, recorded in the evaluation's key (so
 * cropped and uncropped evaluations of a folder are kept apart): 'crop-faces' = the largest face with a 1.3×
 * margin (FaceCropper).
 */
export const IMAGE_PREPROCESSES = ['none', 'crop-faces'] as const;
export type ImagePreprocess = (typeof IMAGE_PREPROCESSES)[number];

export interface EvaluateOptions {
  /** The folder to score: any layout the scanner knows, or only some of train/, val/, test/. */
  dataset: string;
  /** 'all' = every image; default: 'test' on the folder the run was trained on, 'all' on any other. */
  split?: EvaluationSplit;
  /** Default 'best'. */
  checkpoint?: CheckpointKind;
  /** Images per forward pass (default: the run's training batch size). */
  batchSize?: number;
  /** Bootstrap of the AUC interval (default 1000 resamples, seed 0). */
  interval?: IntervalOptions;
  preprocess?: ImagePreprocess;
  onProgress?: (progress: BatchProgress) => void;
  signal?: AbortSignal;
}

export interface EvaluationOutcome {
  evaluation: EvaluationRecord;
  metrics: EvaluationMetrics;
  /** The folder holds exactly what the run was trained on (same content fingerprint, same seed's splits). */
  trainedOn: boolean;
  skipped: BadFile[];
  /** With 'crop-faces': the images in which no face was found (scored whole). */
  faceless: string[];
  seconds: number;
}

function checkOptions(options: EvaluateOptions): { kind: CheckpointKind; split: EvaluationSplit | undefined } {
  const kind = options.checkpoint ?? 'best';
  if (kind !== 'best' && kind !== 'last') throw new UnmaskError('BAD_ARGUMENT', `checkpoint must be best or last, got '${String(kind)}'`);
  if (options.split !== undefined && !EVALUATION_SPLITS.includes(options.split)) {
    throw new UnmaskError('BAD_ARGUMENT', `split must be one of ${EVALUATION_SPLITS.join(', ')}, got '${String(options.split)}'`);
  }
  checkBatchSize(options.batchSize);
  if (!IMAGE_PREPROCESSES.includes(options.preprocess ?? 'none')) {
    throw new UnmaskError('BAD_ARGUMENT', `preprocessing must be one of ${IMAGE_PREPROCESSES.join(', ')}, got '${String(options.preprocess)}'`);
  }
  return { kind, split: options.split };
}

/** The images of `split` ('all': every split's, by path), or DATASET_INVALID naming the splits there are. */
function imagesOf(scan: Awaited<ReturnType<typeof scanDataset>>, split: EvaluationSplit): Sample[] {
  const samples = split === 'all' ? SPLITS.flatMap((s) => scan.splits[s].samples) : [...scan.splits[split].samples];
  if (samples.length > 0) return samples.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const present = SPLITS.filter((s) => scan.splits[s].samples.length > 0);
  throw new UnmaskError('DATASET_INVALID', `${scan.root} has no ${split} images (it has ${present.join(', ') || 'none'}); use --split all or one of those`);
}

/**
 * Scores run `runId`'s checkpoint ('best' by default) on a split of any folder and saves it as an evaluation
 * keyed by (run, content fingerprint of the images scored, split, checkpoint and its epoch, preprocessing),
 * with every image's scores and the metrics (AUC with a bootstrap interval, AP, EER, accuracy at 0.5 and at
 * the run's validation-chosen threshold). The run's own scores are never written here, except its own
 * validation scores when the run has none yet to choose its threshold on (they are its own scores).
 * A flat folder is split with the run's seed, so `--split test` of the folder it trained on is its test split.
 * Throws UnmaskError: NOT_FOUND (run, checkpoint, folder), BAD_ARGUMENT (options), DATASET_INVALID (layout,
 * no images of the split, nothing decodes), CANCELLED (signal).
 */
export async function evaluateRun(store: RunStore, runId: number, options: EvaluateOptions): Promise<EvaluationOutcome> {
  const started = performance.now();
  const { kind, split: asked } = checkOptions(options);
  const run = store.getRun(runId);
  runModelName(run);
  const checkpoint = findCheckpoint(store, runId, kind);
  const scan = await scanDataset(path.resolve(options.dataset), { seed: run.params.seed, partialSplits: true });
  const digests: DigestCache = new Map();
  const complete = SPLITS.every((s) => scan.splits[s].samples.length > 0);
  const trainedOn = complete && (await fingerprintDataset(scan, 16, digests)) === run.datasetFingerprint;
  const split = asked ?? (trainedOn ? 'test' : 'all');
  const samples = imagesOf(scan, split);
  const fingerprint = await fingerprintSamples(scan.root, samples, 16, digests);
  const threshold = await runThreshold(store, runId, { signal: options.signal });
  // A run trained on face crops is always shown face crops.
  const preprocess: ImagePreprocess = options.preprocess === 'crop-faces' || run.params.cropFaces === true ? 'crop-faces' : 'none';
  const faceCropper = preprocess === 'crop-faces' ? new FaceCropper() : undefined;
  const images = new FaceDataset(samples, split, { faceCropper });
  const scored = await scoreWithCheckpoint(run, checkpoint, images, { ...options, cached: cachedFeaturesOf(run, store.file) });
  if (scored.rows.length === 0) throw new UnmaskError('DATASET_INVALID', `no image of ${scan.root} (${split}) could be decoded`);
  const metrics = evaluationMetrics(
    scored.rows.map((r) => r.label),
    scored.rows.map((r) => r.probs[1]),
    threshold,
    options.interval ?? DEFAULT_INTERVAL,
  );
  const evaluation = store.saveEvaluation({
    runId,
    datasetPath: scan.root,
    datasetFingerprint: fingerprint,
    split,
    checkpoint: kind,
    checkpointEpoch: checkpoint.epoch,
    preprocess,
    rows: scored.rows,
    metrics: metrics as unknown as Record<string, unknown>,
    engine: scored.engine,
    skipped: scored.skipped.length,
    note: trainedOn ? `the folder run ${runId} was trained on` : null,
  });
  const faceless = [...(faceCropper?.faceless ?? [])].sort();
  return { evaluation, metrics, trainedOn, skipped: scored.skipped, faceless, seconds: (performance.now() - started) / 1000 };
}
