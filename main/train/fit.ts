// fit(): epochs of train → validate → test, checkpoints after every epoch and at the best validation accuracy.
import fs from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { Loader } from '../data/index.js';
import type { CheckpointRecord, EpochRecord } from '../store/index.js';
import { evaluate, trainOneEpoch, type BatchProgress, type PassOptions, type PassResult } from './epoch.js';
import { fileWriteError } from '../store/disk-errors.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { FusedOptimizer } from './optimizers.js';

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
export function loaderPasses(model: tf.LayersModel, optimizer: FusedOptimizer, loaders: { train: Loader; val: Loader; test: Loader | null }): EpochPasses {
  const test = loaders.test;
  return {
    train: (epoch, options) => trainOneEpoch(model, optimizer, loaders.train, { ...options, epoch }),
    val: (options) => evaluate(model, loaders.val, options),
    test: test ? (options) => evaluate(model, test, options) : null,
  };
}

export interface FitInput {
  /** The model whose weights the checkpoints hold (every weight, trainable or not). */
  model: tf.LayersModel;
  optimizer: FusedOptimizer;
  loaders: { train: Loader; val: Loader; test: Loader | null };
  /** Replaces the loader passes (e.g. a head trained on cached features); `loaders` are then not read. */
  passes?: EpochPasses;
  epochs: number;
  /** Where `last/` and `best/` checkpoints go. */
  checkpointDir: string;
  /** Epochs already done (resume): 0 for a new run. */
  startEpoch?: number;
  /** Best validation accuracy so far (resume). */
  bestValAcc?: number;
  signal?: AbortSignal;
  callbacks?: FitCallbacks;
}

/**
 * Trains for epochs startEpoch+1 … epochs. The loaders' epoch index is the 0-based epoch, so a resumed run
 * sees exactly the shuffles and augmentations the uninterrupted run would have.
 */
export async function fit(input: FitInput): Promise<EpochMetrics[]> {
  const { model, optimizer, callbacks } = input;
  const passes = input.passes ?? loaderPasses(model, optimizer, input.loaders);
  let best = input.bestValAcc ?? Number.NEGATIVE_INFINITY;
  const history: EpochMetrics[] = [];
  try {
    fs.mkdirSync(input.checkpointDir, { recursive: true });
  } catch (error) {
    throw fileWriteError(error, input.checkpointDir, 'checkpoint folder');
  }
  for (let epoch = (input.startEpoch ?? 0) + 1; epoch <= input.epochs; epoch++) {
    const on = (phase: Phase) => (p: BatchProgress) => callbacks?.onBatch?.(phase, epoch, p);
    const train = await passes.train(epoch - 1, { signal: input.signal, onBatch: on('train') });
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
    };
    const checkpoints: SavedCheckpoint[] = [{ epoch, kind: 'last', path: checkpointPath(input.checkpointDir, 'last', epoch) }];
    saveCheckpoint(checkpoints[0]!.path, model, optimizer, epoch);
    if (val.accuracy > best) {
      best = val.accuracy;
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
