// Measures training and inference throughput of a model on the engine this process runs.
import * as tf from '@tensorflow/tfjs';
import { tidyRead } from '../engine/tidy-read.js';
import { frontierTensors, splitModel, trunkOutputs } from '../train/model-split.js';
import { FusedOptimizer } from '../train/optimizers.js';
import { trainStep } from '../train/step.js';
import { countTrainableParams } from '../models/registry.js';

export interface Throughput {
  trainImgPerSec: number;
  inferImgPerSec: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median seconds per call of `f` after `warmup` untimed calls. */
export function timeCalls(f: () => void, warmup: number, runs: number): number {
  for (let i = 0; i < warmup; i++) f();
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    f();
    seconds.push((performance.now() - start) / 1000);
  }
  return median(seconds);
}

/** Inference img/s of `model` on random [batch, size, size, 3] input (median of `runs` after one warm-up). */
export function measureInference(model: tf.LayersModel, batch: number, runs: number): number {
  const size = model.inputs[0]!.shape[1]!;
  const xs = tf.randomNormal([batch, size, size, 3]);
  const seconds = timeCalls(() => tf.tidy(() => (model.predict(xs) as tf.Tensor).dataSync()), 1, runs);
  xs.dispose();
  return batch / seconds;
}

/**
 * Training img/s (Adam, softmax cross-entropy, random images and labels) and inference img/s, each the
 * median over `runs` steps after two warm-up steps (the first step also builds kernels' caches).
 */
export function measureThroughput(model: tf.LayersModel, batch: number, runs: number): Throughput {
  const size = model.inputs[0]!.shape[1]!;
  const optimizer = new FusedOptimizer({ name: 'Adam', lr: 1e-3 });
  const xs = tf.randomNormal([batch, size, size, 3]) as tf.Tensor4D;
  const labels = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % 2),
    'int32',
  );
  const trainSeconds = timeCalls(() => trainStep(model, optimizer, xs, labels), 2, runs);
  tf.dispose([xs, labels]);
  optimizer.dispose();
  return { trainImgPerSec: batch / trainSeconds, inferImgPerSec: measureInference(model, batch, runs) };
}

export interface FineTune {
  imgPerSec: number;
  /** Trainable parameters of the part after the cut (what the step updates). */
  params: number;
  /** The cut tensor's shape without the batch axis (first frontier tensor). */
  cutShape: number[];
}

/**
 * Training img/s of partial fine-tuning: `model` split at `cutLayer`, one Adam step of the part after the cut on
 * cached cut tensors (the trunk's output for a random batch, computed once), batch norm in inference mode (as
 * `--unfreeze-blocks K` trains), median of `runs` after two warm-ups.
 */
export function measureFineTune(model: tf.LayersModel, cutLayer: string, batch: number, runs: number): FineTune {
  const split = splitModel(model, cutLayer);
  const size = model.inputs[0]!.shape[1]!;
  const cut = tidyRead(() => trunkOutputs(split.trunk, tf.randomNormal([batch, size, size, 3])));
  const inputs = frontierTensors(split, batch, cut);
  const labels = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % 2),
    'int32',
  );
  const optimizer = new FusedOptimizer({ name: 'Adam', lr: 1e-4 });
  const seconds = timeCalls(() => trainStep(split.part, optimizer, inputs, labels, false), 2, runs);
  const params = countTrainableParams(split.part);
  const cutShape = split.shapes[0]!;
  tf.dispose([...inputs, labels]);
  optimizer.dispose();
  split.dispose();
  return { imgPerSec: batch / seconds, params, cutShape };
}
