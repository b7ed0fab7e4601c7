// Scores of a frozen-backbone detector from its feature cache: the trunk once per image view, then the head alone.
import * as tf from '@tensorflow/tfjs';
import type { FaceDataset } from '../data/index.js';
import { UnmaskError } from '../engine/errors.js';
import type { BatchProgress, ImageScores } from './epoch.js';
import type { ViewName } from './feature-cache.js';
import { backboneBatch, type FeatureProgress } from './features.js';
import { cachedTrunk } from './frozen.js';
import { frontierTensors, splitModel } from './model-split.js';

export interface CachedScoreOptions {
  /** Root of the feature cache (`<db dir>/feature-cache`). */
  cacheRoot: string;
  /** The pooled feature layer the head reads (the registry's `pretrained.featureLayer`). */
  featureLayer: string;
  batchSize: number;
  /** Average each image's softmax with its mirror view's, as training evaluated it. */
  ttaFlip?: boolean;
  /** Write newly computed features to the cache (default true; false for one-off predictions). */
  keep?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: BatchProgress) => void;
}

/**
 * Per-image logits and softmax of `set` from `model` (frozen backbone, trained head) through the feature cache:
 * exactly the numbers training recorded for the same checkpoint (the head reads the same cached, half-precision
 * features), at the cost of the head alone for every image already cached. Images that fail to decode are left
 * out and listed in `bad`.
 */
export async function scoreCached(
  model: tf.LayersModel,
  set: FaceDataset,
  options: CachedScoreOptions,
): Promise<{ scores: ImageScores; bad: { path: string; reason: string }[] }> {
  const split = splitModel(model, options.featureLayer);
  try {
    const batch = backboneBatch(options.batchSize);
    // Progress is the trunk's (the head's pass over cached features takes a moment); there is no loss before the head runs.
    const onFeatures = (p: FeatureProgress) =>
      options.onProgress?.({
        batch: p.done,
        batches: p.total,
        runningLoss: Number.NaN,
        runningAccuracy: Number.NaN,
        imgPerSec: p.imgPerSec,
        etaSeconds: p.etaSeconds,
      });
    const { run } = cachedTrunk(model, split, options.featureLayer, options.cacheRoot, batch, options.signal, onFeatures, { keep: options.keep });
    const views: ViewName[] = options.ttaFlip ? ['plain', 'flip'] : ['plain'];
    const { features: f, bad } = await run(set.name, set, views);
    if (f.n === 0) throw new UnmaskError('DATASET_INVALID', `no image of ${set.name} could be read`);
    const logits = new Float32Array(f.n * 2);
    const probs = new Float32Array(f.n * 2);
    const batches = Math.ceil(f.n / options.batchSize);
    for (let b = 0; b < batches; b++) {
      if (options.signal?.aborted) throw new UnmaskError('CANCELLED', 'scoring was cancelled');
      const start = b * options.batchSize;
      const rows = Math.min(options.batchSize, f.n - start);
      const p = tf.tidy(() => {
        const perView = Array.from({ length: f.views }, (_, v) => {
          const data = new Float32Array(rows * f.dim);
          for (let r = 0; r < rows; r++) data.set(f.x.subarray(((start + r) * f.views + v) * f.dim, ((start + r) * f.views + v + 1) * f.dim), r * f.dim);
          return split.part.predict(frontierTensors(split, rows, data)) as tf.Tensor2D;
        });
        if (perView.length === 1) return { logits: perView[0]!.dataSync() as Float32Array, probs: tf.softmax(perView[0]!).dataSync() as Float32Array };
        // Test-time flips as the full forward pass reports them: the mean softmax, and logits whose softmax it is.
        const mean = tf.div(tf.addN(perView.map((l) => tf.softmax(l))), perView.length);
        return { logits: tf.log(tf.maximum(mean, 1e-12)).dataSync() as Float32Array, probs: mean.dataSync() as Float32Array };
      });
      probs.set(p.probs, start * 2);
      logits.set(p.logits, start * 2);
    }
    return { scores: { paths: f.paths, labels: Array.from(f.labels), logits, probs }, bad: bad.map((x) => ({ path: x.path, reason: x.reason })) };
  } finally {
    split.dispose();
  }
}
