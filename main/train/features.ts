// Frozen-backbone feature extraction: each image's views through the backbone once, cached on disk for later runs.
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, IMAGE_VALUES, firstLine, type BadFile, type FaceDataset } from '../data/index.js';
import { mapLimit } from '../data/probe.js';
import { UnmaskError } from '../engine/errors.js';
import type { FaceFinder } from '../data/face-cache.js';
import { FACE_PARTS, PART_BOX_VALUES, partBoxes, transformLandmarks } from '../data/face-parts.js';
import { readsPartBoxes } from '../models/xception-parts.js';
import { contentHash, renderView, viewGeometry, type FeatureCache, type ViewName } from './feature-cache.js';
import { trunkOutputs } from './model-split.js';

/** One split's features: `x` is [n, views, dim] row-major (view order as asked), with labels and paths per image. */
export interface SplitFeatures {
  x: Float32Array;
  labels: Int32Array;
  paths: string[];
  n: number;
  views: number;
  dim: number;
}

export interface FeatureProgress {
  split: string;
  /** Image views of this split done so far (cached + computed) and in all. */
  done: number;
  total: number;
  computed: number;
  cached: number;
  /** Views per second through the backbone (computed views only). */
  imgPerSec: number;
  /** Seconds left for this split's views still to compute, at that rate. */
  etaSeconds: number;
}

export interface ExtractOptions {
  split: string;
  /** Views per backbone forward pass. */
  batchSize: number;
  signal?: AbortSignal;
  onProgress?: (p: FeatureProgress) => void;
  /** Finds each image's face landmarks: for a backbone that reads face-part boxes (XceptionParts), and for self-blended views. */
  faces?: FaceFinder;
}

export interface ExtractResult {
  features: SplitFeatures;
  computed: number;
  cached: number;
  seconds: number;
  /** Images that could not be read or decoded; they are left out of `features`. */
  bad: BadFile[];
}

/**
 * Features [n, views.length, dim] of every image of `dataset` from `backbone` (input [b, 256, 256, 3] →
 * pooled features [b, dim], or several outputs flattened and concatenated to dim, run in inference mode). Each (content hash, view) is looked up in `cache` first;
 * only the missing ones are decoded, rendered, pushed through the backbone in batches and written back.
 * Decodes of upcoming images run on libuv threads while the backbone computes.
 */
export async function extractFeatures(backbone: tf.LayersModel, dataset: FaceDataset, views: readonly ViewName[], cache: FeatureCache, options: ExtractOptions): Promise<ExtractResult> {
  const started = performance.now();
  const dim = cache.dim;
  const n = dataset.length;
  const V = views.length;
  const x = new Float32Array(n * V * dim);
  const bad = new Map<number, BadFile>();
  const hashes = await mapLimit(dataset.samples, 8, async (s, i) =>
    contentHash(s.path).catch((error: unknown) => {
      bad.set(i, { path: s.path, kind: 'unreadable', reason: firstLine(error) });
      return '';
    }),
  );
  // Cache lookups; what is missing becomes (image, view) work items, grouped by image.
  const work: { i: number; js: number[] }[] = [];
  let cached = 0;
  for (let i = 0; i < n; i++) {
    if (bad.has(i)) continue;
    const js: number[] = [];
    views.forEach((view, j) => {
      const v = cache.read(hashes[i]!, view);
      if (v) {
        x.set(v, (i * V + j) * dim);
        cached++;
      } else js.push(j);
    });
    if (js.length) work.push({ i, js });
  }
  const pendingViews = work.reduce((s, w) => s + w.js.length, 0);
  let computed = 0;
  const report = (): void => {
    const seconds = (performance.now() - started) / 1000;
    const rate = computed / Math.max(seconds, 1e-9);
    options.onProgress?.({
      split: options.split,
      done: cached + computed,
      total: (n - bad.size) * V,
      computed,
      cached,
      imgPerSec: rate,
      etaSeconds: computed === 0 ? Number.POSITIVE_INFINITY : (pendingViews - computed) / rate,
    });
  };
  report();

  // Decodes run ahead of the backbone by a window of images.
  const window = Math.max(2, 2 * Math.ceil(options.batchSize / Math.max(1, V)));
  const decodes = new Map<number, Promise<Uint8Array | Error>>();
  let launched = 0;
  let consumed = 0;
  const launch = (): void => {
    while (launched < work.length && launched < consumed + window) {
      const { i } = work[launched++]!;
      decodes.set(i, dataset.raw(i).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))));
    }
  };
  const batch = new Float32Array(options.batchSize * IMAGE_VALUES);
  const parts = readsPartBoxes(backbone);
  if (parts && !options.faces) throw new UnmaskError('INTERNAL', `${backbone.name} reads face-part boxes: extractFeatures needs a face finder`);
  const boxValues = FACE_PARTS.length * PART_BOX_VALUES;
  const boxes = new Float32Array(parts ? options.batchSize * boxValues : 0);
  let slots: { i: number; j: number }[] = [];
  const flush = (): void => {
    if (slots.length === 0) return;
    const m = slots.length;
    const out = tf.tidy(() => {
      const xs = tf.tensor4d(batch.subarray(0, m * IMAGE_VALUES), [m, IMAGE_SIZE, IMAGE_SIZE, 3]);
      const inputs = parts ? [xs, tf.tensor3d(boxes.subarray(0, m * boxValues), [m, FACE_PARTS.length, PART_BOX_VALUES])] : xs;
      // A trunk with several outputs (a cut inside the backbone) is cached as one flat vector per view.
      const y = trunkOutputs(backbone, inputs);
      if (y.shape[1] !== dim) throw new UnmaskError('INTERNAL', `backbone features have shape [${y.shape}], expected [${m}, ${dim}]`);
      return y.dataSync() as Float32Array;
    });
    slots.forEach(({ i, j }, k) => {
      x.set(cache.write(hashes[i]!, views[j]!, out.slice(k * dim, (k + 1) * dim)), (i * V + j) * dim);
    });
    computed += m;
    slots = [];
    report();
  };
  launch();
  for (const { i, js } of work) {
    if (options.signal?.aborted) throw new UnmaskError('CANCELLED', 'training was cancelled');
    const bytes = await decodes.get(i)!;
    decodes.delete(i);
    consumed++;
    launch();
    if (bytes instanceof Error) {
      bad.set(i, { path: dataset.sample(i).path, kind: 'decode-failed', reason: firstLine(bytes) });
      continue;
    }
    // Landmarks place the part boxes and the self-blend masks; other views need none.
    const landmarks = options.faces && (parts || js.some((j) => views[j]!.startsWith('sbl'))) ? await options.faces.landmarks(bytes) : null;
    for (const j of js) {
      renderView(bytes, hashes[i]!, views[j]!, batch, slots.length * IMAGE_VALUES, landmarks);
      if (parts) boxes.set(partBoxes(landmarks && transformLandmarks(landmarks, viewGeometry(hashes[i]!, views[j]!))), slots.length * boxValues);
      slots.push({ i, j });
      if (slots.length === options.batchSize) flush();
    }
  }
  flush();

  const keep = Array.from({ length: n }, (_, i) => i).filter((i) => !bad.has(i));
  const features: SplitFeatures = {
    x: keep.length === n ? x : Float32Array.from(keep.flatMap((i) => Array.from(x.subarray(i * V * dim, (i + 1) * V * dim)))),
    labels: Int32Array.from(keep.map((i) => dataset.sample(i).label)),
    paths: keep.map((i) => dataset.sample(i).path),
    n: keep.length,
    views: V,
    dim,
  };
  return { features, computed, cached, seconds: (performance.now() - started) / 1000, bad: [...bad.values()] };
}
