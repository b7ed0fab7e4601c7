// fit(): epochs of train → validate → test, checkpoints after every epoch and at the best validation score.
import fs from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { Loader } from '../data/index.js';
import type { CheckpointRecord, EpochRecord } from '../store/index.js';
import { evaluate, trainOneEpoch, type BatchProgress, type PassOptions, type PassResult } from './epoch.js';
import { fileWriteError } from '../store/disk-errors.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { FusedOptimizer } from './optimizers.js';
import type { SelectBy } from './recipe-types.js';

export type { SelectBy } from './recipe-types.js';

/** One epoch's numbers as stored (accuracies in percent, 1-based epoch), plus the decode-wait share. */
export interface EpochMetrics extends EpochRecord {
  decodeShare: number;
}

export type SavedCheckpoint = CheckpointRecord;

export type Phase = 'train' | 'val' | 'test';

export interface FitCallbacks {
  onBatch?: (phase: Phase, epoch: number, progress: BatchProgress) => void;
  /** Called once the epoch's checkpoints are on disk; the run store records both in one transaction. */
  onEpoch?: (metrics: EpochMetrics, checkpoints: SavedCheckpoint[]) => void;
}

/** How one epoch's three passes run; fit() builds them from loaders unless given (frozen-backbone training). */
export interface EpochPasses {
  /** One training pass over epoch `epoch` (0-based) of the training data. */
  train(epoch: number, options: Omit<PassOptions, 'epoch'>): Promise<PassResult>;
  val(options: Omit<PassOptions, 'epoch'>): Promise<PassResult>;
  test: ((options: Omit<PassOptions, 'epoch'>) => Promise<PassResult>) | null;
}

/** The usual passes: trainOneEpoch / evaluate of `model` over image loaders. */
export function loaderPasses(
  model: tf.LayersModel,
  optimizer: FusedOptimizer,
  loaders: { train: Loader; val: Loader; test: Loader | null },
  ttaFlip = false,
): EpochPasses {
  const test = loaders.test;
  return {
    train: (epoch, options) => trainOneEpoch(model, optimizer, loaders.train, { ...options, epoch }),
    val: (options) => evaluate(model, loaders.val, { ...options, ttaFlip }),
    test: test ? (options) => evaluate(model, test, { ...options, ttaFlip }) : null,
  };
}

/** The best validation score so far and its epoch (resume). */
export interface BestSoFar {
  score: number;
  epoch: number;
}

export interface FitInput {
  /** The model whose weights the checkpoints hold (every weight, trainable or not). */
  model: tf.LayersModel;
  optimizer: FusedOptimizer;
  loaders: { train: Loader; val: Loader; test: Loader | null };
  /** Replaces the loader passes (e.g. a head trained on cached features); `loaders` are then not read. */
  passes?: EpochPasses;
  /** Loader passes: evaluate each image with its mirror image too (test-time flips). */
  ttaFlip?: boolean;
  epochs: number;
  /** Where `last/` and `best/` checkpoints go. */
  checkpointDir: string;
  /** Epochs already done (resume): 0 for a new run. */
  startEpoch?: number;
  /** Best validation score so far, by `selectBy` (resume). */
  best?: BestSoFar;
  /** Validation accuracy (default, as the course assignment) or ROC AUC picks the best checkpoint. */
  selectBy?: SelectBy;
  /** Stop after this many epochs without a better validation score (default: never). */
  patience?: number;
  /** The learning rate of the step ending `t` epochs in (default: the optimizer's own, constant). */
  learningRate?: (t: number) => number;
  signal?: AbortSignal;
  callbacks?: FitCallbacks;
}

/**
 * Trains for epochs startEpoch+1 … epochs. The loaders' epoch index is the 0-based epoch, so a resumed run
 * sees exactly the shuffles and augmentations the uninterrupted run would have.
 */
export async function fit(input: FitInput): Promise<EpochMetrics[]> {
  const { model, optimizer, callbacks } = input;
  const passes = input.passes ?? loaderPasses(model, optimizer, input.loaders, input.ttaFlip);
  const selectBy = input.selectBy ?? 'accuracy';
  let best = input.best ?? { score: Number.NEGATIVE_INFINITY, epoch: 0 };
  const history: EpochMetrics[] = [];
  try {
    fs.mkdirSync(input.checkpointDir, { recursive: true });
  } catch (error) {
    throw fileWriteError(error, input.checkpointDir, 'checkpoint folder');
  }
  for (let epoch = (input.startEpoch ?? 0) + 1; epoch <= input.epochs; epoch++) {
    if (input.patience != null && best.epoch > 0 && epoch - 1 - best.epoch >= input.patience) break;
    const on = (phase: Phase) => (p: BatchProgress) => callbacks?.onBatch?.(phase, epoch, p);
    const schedule = input.learningRate;
    const beforeStep = schedule ? (b: number, batches: number) => optimizer.setLearningRate(schedule(epoch - 1 + (b + 1) / batches)) : undefined;
    const train = await passes.train(epoch - 1, { signal: input.signal, onBatch: on('train'), beforeStep });
    const val = await passes.val({ signal: input.signal, onBatch: on('val') });
    const test: PassResult | null = passes.test ? await passes.test({ signal: input.signal, onBatch: on('test') }) : null;
    const metrics: EpochMetrics = {
      epoch,
      trainLoss: train.avgLoss,
      trainAcc: train.accuracy,
      valLoss: val.avgLoss,
      valAcc: val.accuracy,
      testLoss: test?.avgLoss ?? null,
      testAcc: test?.accuracy ?? null,
      seconds: train.seconds + val.seconds + (test?.seconds ?? 0),
      imgPerSec: train.imgPerSec,
      decodeShare: train.decodeShare,
      valAuc: val.auc ?? null,
      testAuc: test?.auc ?? null,
    };
    const checkpoints: SavedCheckpoint[] = [{ epoch, kind: 'last', path: checkpointPath(input.checkpointDir, 'last', epoch) }];
    saveCheckpoint(checkpoints[0]!.path, model, optimizer, epoch);
    const score = selectionScore(metrics, selectBy);
    if (score > best.score) {
      best = { score, epoch };
      checkpoints.push({ epoch, kind: 'best', path: checkpointPath(input.checkpointDir, 'best', epoch) });
      saveCheckpoint(checkpoints[1]!.path, model, optimizer, epoch);
    }
    callbacks?.onEpoch?.(metrics, checkpoints);
    // Only once the epoch is recorded are the previous checkpoints dropped: a crash in between leaves the
    // recorded state and its checkpoint together on disk.
    for (const c of checkpoints) pruneOlder(input.checkpointDir, c.kind, epoch);
    history.push(metrics);
  }
  return history;
}

/** An epoch's validation score under `selectBy` (an undefined AUC never wins). */
export function selectionScore(e: Pick<EpochRecord, 'valAcc' | 'valAuc'>, selectBy: SelectBy): number {
  const v = selectBy === 'auc' ? e.valAuc : e.valAcc;
  return v == null || Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v;
}

/** The best epoch of recorded ones (earliest on ties, as training picks it), for a resumed run. */
export function bestOf(epochs: readonly EpochRecord[], selectBy: SelectBy): BestSoFar | undefined {
  let best: BestSoFar | undefined;
  for (const e of epochs) {
    const score = selectionScore(e, selectBy);
    if (score > (best?.score ?? Number.NEGATIVE_INFINITY)) best = { score, epoch: e.epoch };
  }
  return best;
}

/** `dir/last-epoch-0003`: one folder per kind and epoch, so a new one never overwrites the recorded one. */
export function checkpointPath(dir: string, kind: 'last' | 'best', epoch: number): string {
  return path.join(dir, `${kind}-epoch-${String(epoch).padStart(4, '0')}`);
}

function pruneOlder(dir: string, kind: 'last' | 'best', epoch: number): void {
  for (const name of fs.readdirSync(dir)) {
    const match = /^(last|best)-epoch-(\d+)$/.exec(name);
    if (!match || match[1] !== kind || Number(match[2]) >= epoch) continue;
    try {
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    } catch (error) {
      throw fileWriteError(error, path.join(dir, name), 'old checkpoint');
    }
  }
}

/** Restores model and optimizer from the checkpoint taken after `epoch` (the last recorded one). */
export function restoreEpoch(checkpointDir: string, epoch: number, model: tf.LayersModel, optimizer: FusedOptimizer): number {
  return loadCheckpoint(checkpointPath(checkpointDir, 'last', epoch), model, optimizer);
}
