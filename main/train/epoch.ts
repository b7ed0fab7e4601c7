// trainOneEpoch and evaluate: one pass over a loader, with running averages over samples (as the seed logs).
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { detectorInputs } from '../models/xception-parts.js';
import { batchToTensors, type Batch, type Loader } from '../data/index.js';
import { rocAuc } from '../analysis/curves.js';
import { UnmaskError } from '../engine/errors.js';
import type { FusedOptimizer } from './optimizers.js';
import { trainStep } from './step.js';

export interface PassResult {
  /** Mean cross-entropy over every sample of the pass. */
  avgLoss: number;
  /** Percent of samples whose argmax matches the label. */
  accuracy: number;
  samples: number;
  seconds: number;
  imgPerSec: number;
  /** Share of the wall time spent waiting for decoded images (0–1). */
  decodeShare: number;
  /** ROC AUC of the fake score over the pass (evaluation passes; null when one class is missing). */
  auc?: number | null;
}

export interface BatchProgress {
  batch: number;
  batches: number;
  runningLoss: number;
  runningAccuracy: number;
  imgPerSec: number;
  /** Seconds left in this pass at the current rate. */
  etaSeconds: number;
}

export interface PassOptions {
  /** Which epoch of the loader to run (its shuffle and augmentation depend on it). */
  epoch: number;
  onBatch?: (p: BatchProgress) => void;
  /** Called before each optimisation step with the batch index and the batches of the pass (learning-rate schedules). */
  beforeStep?: (batch: number, batches: number) => void;
  signal?: AbortSignal;
}

/** Running sums; averages are over samples, so a short last batch weighs what it holds. */
export class Meter {
  lossSum = 0;
  correct = 0;
  samples = 0;
  waitMs = 0;
  readonly started = performance.now();
  private readonly labels: number[] = [];
  private readonly fakeScores: number[] = [];

  add(batch: Pick<Batch, 'size' | 'waitMs'>, meanLoss: number, correct: number): void {
    this.lossSum += meanLoss * batch.size;
    this.correct += correct;
    this.samples += batch.size;
    this.waitMs += batch.waitMs;
  }

  /** Records each sample's label and fake score (softmax column 1), for the pass's AUC. */
  addScores(labels: ArrayLike<number>, fakeScores: ArrayLike<number>): void {
    for (let i = 0; i < labels.length; i++) {
      this.labels.push(labels[i]!);
      this.fakeScores.push(fakeScores[i]!);
    }
  }

  progress(batchIndex: number, batches: number): BatchProgress {
    const seconds = (performance.now() - this.started) / 1000;
    const rate = this.samples / Math.max(seconds, 1e-9);
    return {
      batch: batchIndex + 1,
      batches,
      runningLoss: this.lossSum / this.samples,
      runningAccuracy: (100 * this.correct) / this.samples,
      imgPerSec: rate,
      etaSeconds: ((batches - batchIndex - 1) * seconds) / (batchIndex + 1),
    };
  }

  result(): PassResult {
    if (this.samples === 0) throw new UnmaskError('DATASET_INVALID', 'the pass saw no decodable image');
    const seconds = (performance.now() - this.started) / 1000;
    return {
      avgLoss: this.lossSum / this.samples,
      accuracy: (100 * this.correct) / this.samples,
      samples: this.samples,
      seconds,
      imgPerSec: this.samples / seconds,
      decodeShare: this.waitMs / 1000 / seconds,
      ...(this.labels.length ? { auc: passAuc(this.labels, this.fakeScores) } : {}),
    };
  }
}

/** AUC of a pass, or null where it is undefined (one class only, or a NaN score from a diverged model). */
function passAuc(labels: number[], scores: number[]): number | null {
  if (!labels.includes(0) || !labels.includes(1) || scores.some((v) => !Number.isFinite(v))) return null;
  return rocAuc(labels, scores);
}

export function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new UnmaskError('CANCELLED', 'training was cancelled');
}

/**
 * One training epoch: for each batch, forward, loss, backward and an optimizer step (gradients are computed
 * fresh each step, so there is nothing to zero). Returns averages over all samples seen.
 */
export async function trainOneEpoch(model: tf.LayersModel, optimizer: FusedOptimizer, loader: Loader, options: PassOptions): Promise<PassResult> {
  const meter = new Meter();
  let index = 0;
  for await (const batch of loader.epoch(options.epoch)) {
    checkCancelled(options.signal);
    const { xs, ys } = batchToTensors(batch, 'int');
    options.beforeStep?.(index, loader.batchesPerEpoch);
    const { loss, correct } = trainStep(model, optimizer, xs, ys);
    tf.dispose([xs, ys]);
    meter.add(batch, loss, correct);
    options.onBatch?.(meter.progress(index++, loader.batchesPerEpoch));
  }
  return meter.result();
}

/**
 * A batch's evaluation from the logits of one or more views of each image (test-time flips, cached mirror views):
 * several views average their softmax, as the logit pair whose softmax that mean is. Returns those logits, the
 * cross-entropy loss and the number of correct predictions.
 */
export function viewsOutcome(views: readonly tf.Tensor2D[], ys: tf.Tensor1D): { logits: tf.Tensor2D; loss: tf.Scalar; correct: tf.Scalar } {
  const logits = views.length === 1 ? views[0]! : (tf.log(tf.maximum(tf.div(tf.addN(views.map((v) => tf.softmax(v))), views.length), 1e-12)) as tf.Tensor2D);
  const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(ys, 2), logits) as tf.Scalar;
  const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), ys), 'int32')) as tf.Scalar;
  return { logits, loss, correct };
}

/** Per-image outputs of an evaluation pass, for the analysis module. */
export interface ImageScores {
  paths: string[];
  labels: number[];
  /** [n, 2] logits and softmax probabilities (column 1 = fake). */
  logits: Float32Array;
  probs: Float32Array;
}

/**
 * Loss and accuracy over a loader's epoch 0 without gradients or weight updates (inference mode, so
 * batch-norm uses its moving statistics). With `collect`, also returns every image's logits and softmax; with
 * `ttaFlip`, each image's prediction averages it and its mirror image.
 */
export async function evaluate(
  model: tf.LayersModel,
  loader: Loader,
  options: Omit<PassOptions, 'epoch'> & { collect?: boolean; ttaFlip?: boolean } = {},
): Promise<PassResult & { scores?: ImageScores }> {
  const meter = new Meter();
  const scores: { paths: string[]; labels: number[]; logits: number[]; probs: number[] } = { paths: [], labels: [], logits: [], probs: [] };
  let index = 0;
  for await (const batch of loader.epoch(0)) {
    checkCancelled(options.signal);
    const { xs, ys } = batchToTensors(batch, 'int');
    const [lossValue, correctValue, logits, probs] = tf.tidy(() => {
      const views = [model.predict(detectorInputs(model, xs, batch.landmarks)) as tf.Tensor2D];
      // Test-time flips: the image and its mirror image.
      if (options.ttaFlip) views.push(model.predict(detectorInputs(model, tf.reverse(xs, 2), batch.landmarks, true)) as tf.Tensor2D);
      const { logits: out, loss, correct } = viewsOutcome(views, ys as tf.Tensor1D);
      return [loss.dataSync()[0]!, correct.dataSync()[0]!, out.dataSync(), tf.softmax(out).dataSync()] as const;
    });
    tf.dispose([xs, ys]);
    meter.add(batch, lossValue, correctValue);
    meter.addScores(
      batch.labels,
      Float32Array.from({ length: batch.size }, (_, k) => probs[2 * k + 1]!),
    );
    if (options.collect) {
      scores.paths.push(...batch.paths);
      scores.labels.push(...batch.labels);
      scores.logits.push(...logits);
      scores.probs.push(...probs);
    }
    options.onBatch?.(meter.progress(index++, loader.batchesPerEpoch));
  }
  const result = meter.result();
  if (!options.collect) return result;
  return { ...result, scores: { ...scores, logits: Float32Array.from(scores.logits), probs: Float32Array.from(scores.probs) } };
}
