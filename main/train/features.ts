// Frozen-backbone feature extraction: each image's views through the backbone once, cached on disk for later runs.
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, IMAGE_VALUES, type BadFile, type FaceDataset } from '../data/index.js';
import { mapLimit } from '../data/probe.js';
import { firstLine, UnmaskError } from '../engine/errors.js';
import { tidyRead } from '../engine/tidy-read.js';
import type { FaceFinder } from '../data/face-cache.js';
import { FACE_PARTS, PART_BOX_VALUES, partBoxes, transformLandmarks } from '../data/face-parts.js';
import { readsPartBoxes } from '../models/xception-parts.js';
import { contentHash, renderView, viewGeometry, type FeatureCache, type ViewName } from './feature-cache.js';
import { mirrorSharingTrunk } from './mirror-parts.js';
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

/**
 * Views per frozen-backbone forward pass for a run of `batchSize`: at most 8. On 2 CPU cores XceptionParts
 * extracts its features in 46 s instead of 56 s for 112 views at 8 rather than 16 (larger batches spill the CPU caches);
 * the head still trains at the run's batch size.
 */
export function backboneBatch(batchSize: number): number {
  return Math.min(batchSize, 8);
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

/** Each image's content hash (the cache key); an unreadable file gets '' and an entry in `bad`. */
async function hashContents(dataset: FaceDataset, bad: Map<number, BadFile>): Promise<string[]> {
  return mapLimit(dataset.samples, 8, async (s, i) =>
    contentHash(s.path).catch((error: unknown) => {
      bad.set(i, { path: s.path, kind: 'unreadable', reason: firstLine(error) });
      return '';
    }),
  );
}

/** An image (index `i`) and the views of it (indices `js` into the views asked for) that are not cached. */
interface WorkItem {
  i: number;
  js: number[];
}

/** Cache lookups: cached views are copied into `x`; what is missing becomes (image, view) work items, grouped by image. */
function readCached(
  cache: FeatureCache,
  hashes: readonly string[],
  views: readonly ViewName[],
  bad: ReadonlyMap<number, BadFile>,
  x: Float32Array,
): { work: WorkItem[]; cached: number } {
  const dim = cache.dim;
  const V = views.length;
  const work: WorkItem[] = [];
  let cached = 0;
  for (let i = 0; i < hashes.length; i++) {
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
  return { work, cached };
}

/**
 * Decodes of the work's images, run ahead of the backbone by a window of images (on libuv threads, while the
 * backbone computes); `next(i)` waits for image i's bytes (or its decode error) and launches the next decode.
 */
function decodeAhead(dataset: FaceDataset, work: readonly WorkItem[], window: number): { next: (i: number) => Promise<Uint8Array | Error> } {
  const decodes = new Map<number, Promise<Uint8Array | Error>>();
  let launched = 0;
  let consumed = 0;
  const launch = (): void => {
    while (launched < work.length && launched < consumed + window) {
      const { i } = work[launched++]!;
      decodes.set(
        i,
        dataset.raw(i).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
      );
    }
  };
  launch();
  const next = async (i: number): Promise<Uint8Array | Error> => {
    const bytes = await decodes.get(i)!;
    decodes.delete(i);
    consumed++;
    launch();
    return bytes;
  };
  return { next };
}

/**
 * Rendered views collected into backbone batches of `batchSize`: each full batch (and the last, on `flush`) goes
 * through the backbone, and each view's features [dim] to `write(i, j, features)`, then `onBatch(views in it)`.
 */
function viewBatcher(
  backbone: tf.LayersModel,
  parts: boolean,
  batchSize: number,
  dim: number,
  write: (i: number, j: number, features: Float32Array) => void,
  onBatch: (m: number) => void,
): { addImage: (bytes: Uint8Array, hash: string, i: number, views: readonly ViewSlot[], landmarks: readonly number[] | null) => void; flush: () => void } {
  const batch = new Float32Array(batchSize * IMAGE_VALUES);
  const boxValues = FACE_PARTS.length * PART_BOX_VALUES;
  const boxes = new Float32Array(parts ? batchSize * boxValues : 0);
  const sharing = parts ? mirrorSharingTrunk(backbone) : null;
  let slots: ({ i: number } & ViewSlot)[] = [];
  const flush = (): void => {
    if (slots.length === 0) return;
    const m = slots.length;
    const out = tidyRead(() => {
      const xs = tf.tensor4d(batch.subarray(0, m * IMAGE_VALUES), [m, IMAGE_SIZE, IMAGE_SIZE, 3]);
      const boxTensor = parts ? tf.tensor3d(boxes.subarray(0, m * boxValues), [m, FACE_PARTS.length, PART_BOX_VALUES]) : null;
      // A trunk with several outputs (a cut inside the backbone) is cached as one flat vector per view.
      const y = sharing ? sharing.features(xs, boxTensor!, plainSlots(slots)).features : trunkOutputs(backbone, boxTensor ? [xs, boxTensor] : xs);
      if (y.shape[1] !== dim) throw new UnmaskError('INTERNAL', `backbone features have shape [${y.shape}], expected [${m}, ${dim}]`);
      return y;
    });
    slots.forEach(({ i, j }, k) => write(i, j, out.slice(k * dim, (k + 1) * dim)));
    slots = [];
    onBatch(m);
  };
  const addImage = (bytes: Uint8Array, hash: string, i: number, views: readonly ViewSlot[], landmarks: readonly number[] | null): void => {
    // An image's views share a batch where they fit, so that a mirror view finds its plain view there.
    if (sharing && slots.length > 0 && slots.length + views.length > batchSize) flush();
    for (const { j, view } of views) {
      renderView(bytes, hash, view, batch, slots.length * IMAGE_VALUES, landmarks);
      if (parts) boxes.set(partBoxes(landmarks && transformLandmarks(landmarks, viewGeometry(hash, view))), slots.length * boxValues);
      slots.push({ i, j, view });
      if (slots.length === batchSize) flush();
    }
  };
  return { addImage, flush };
}

/** A view of an image to compute: its index in the views asked for, and its name. */
interface ViewSlot {
  j: number;
  view: ViewName;
}

/** For each slot of a batch, the slot of its plain view when it is a mirror view ('flip') of an image whose plain view is there; else −1. */
function plainSlots(slots: readonly ({ i: number } & ViewSlot)[]): number[] {
  return slots.map((s) => (s.view === 'flip' ? slots.findIndex((o) => o.i === s.i && o.view === 'plain') : -1));
}

/** The features of the images that could be read (all of `x` when none was bad), with their labels and paths. */
function readableFeatures(dataset: FaceDataset, x: Float32Array, bad: ReadonlyMap<number, BadFile>, V: number, dim: number): SplitFeatures {
  const n = dataset.length;
  const keep = Array.from({ length: n }, (_, i) => i).filter((i) => !bad.has(i));
  return {
    x: keep.length === n ? x : Float32Array.from(keep.flatMap((i) => Array.from(x.subarray(i * V * dim, (i + 1) * V * dim)))),
    labels: Int32Array.from(keep.map((i) => dataset.sample(i).label)),
    paths: keep.map((i) => dataset.sample(i).path),
    n: keep.length,
    views: V,
    dim,
  };
}

/**
 * Features [n, views.length, dim] of every image of `dataset` from `backbone` (input [b, 256, 256, 3] →
 * pooled features [b, dim], or several outputs flattened and concatenated to dim, run in inference mode). Each (content hash, view) is looked up in `cache` first;
 * only the missing ones are decoded, rendered, pushed through the backbone in batches and written back.
 * Decodes of upcoming images run on libuv threads while the backbone computes.
 */
export async function extractFeatures(
  backbone: tf.LayersModel,
  dataset: FaceDataset,
  views: readonly ViewName[],
  cache: FeatureCache,
  options: ExtractOptions,
): Promise<ExtractResult> {
  const started = performance.now();
  const dim = cache.dim;
  const n = dataset.length;
  const V = views.length;
  const x = new Float32Array(n * V * dim);
  const bad = new Map<number, BadFile>();
  const hashes = await hashContents(dataset, bad);
  const { work, cached } = readCached(cache, hashes, views, bad, x);
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

  const parts = readsPartBoxes(backbone);
  if (parts && !options.faces) throw new UnmaskError('INTERNAL', `${backbone.name} reads face-part boxes: extractFeatures needs a face finder`);
  // `x` takes what the cache returns (rounded as a later read would be): a run that computes trains on what one reading back does.
  const write = (i: number, j: number, features: Float32Array): void => x.set(cache.write(hashes[i]!, views[j]!, features), (i * V + j) * dim);
  const batcher = viewBatcher(backbone, parts, options.batchSize, dim, write, (m) => {
    computed += m;
    report();
  });
  const decodes = decodeAhead(dataset, work, Math.max(2, 2 * Math.ceil(options.batchSize / Math.max(1, V))));
  for (const { i, js } of work) {
    if (options.signal?.aborted) throw new UnmaskError('CANCELLED', 'training was cancelled');
    const bytes = await decodes.next(i);
    if (bytes instanceof Error) {
      bad.set(i, { path: dataset.sample(i).path, kind: 'decode-failed', reason: firstLine(bytes) });
      continue;
    }
    // Landmarks place the part boxes and the self-blend masks; other views need none.
    const landmarks = options.faces && (parts || js.some((j) => views[j]!.startsWith('sbl'))) ? await options.faces.landmarks(bytes) : null;
    const pending = js.map((j) => ({ j, view: views[j]! }));
    batcher.addImage(bytes, hashes[i]!, i, pending, landmarks);
  }
  batcher.flush();
  return { features: readableFeatures(dataset, x, bad, V, dim), computed, cached, seconds: (performance.now() - started) / 1000, bad: [...bad.values()] };
}
