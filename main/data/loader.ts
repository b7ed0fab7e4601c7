// createLoader: seeded, shuffled, prefetching batches of decoded images as an async iterator, one epoch at a time.
import { performance } from 'node:perf_hooks';
import { firstLine, UnmaskError } from '../engine/errors.js';
import type { AugmentPolicy } from './augment-policy.js';
import { balancedLength, balancedOrder } from './balanced-order.js';
import { AUGMENT_TAG, type FaceDataset } from './dataset.js';
import type { FaceFinder } from './face-cache.js';
import { transformLandmarks } from './face-parts.js';
import { permutation, rngFrom } from './rng.js';
import { augmentGeometry, drawTrainAugment, renderAugmented } from './train-augment.js';
import { IMAGE_VALUES, type BadFile } from './types.js';

export interface LoaderOptions {
  batchSize: number;
  /** Reshuffle every epoch with permutation(rngFrom(seed, epoch)) (default false: dataset order). */
  shuffle?: boolean;
  /** Seed of shuffling and augmentation (default 0). */
  seed?: number;
  /** Train transform before normalising (default false): `policy`'s augmentation, drawn per seed, epoch and sample. */
  augment?: boolean;
  /** With `augment`: 'crop-flip' (default: a random crop with 4 px zero padding, horizontal flip) or 'deepfake' (deepfake-augment.ts). */
  policy?: AugmentPolicy;
  /** With `shuffle`: every batch holds as many real as fake images (balancedOrder; the epoch is twice the larger class). */
  balanced?: boolean;
  /** Batches decoded ahead of the one being consumed: (prefetch + 1) * batchSize decodes stay in flight (default 2). */
  prefetch?: number;
  /** Drop the last incomplete batch of an epoch (default false). */
  dropLast?: boolean;
  /** Find each image's face landmarks (carried through its augmentation) for a detector that reads face parts. */
  faces?: FaceFinder;
}

export interface Batch {
  /** Float32Array [size, 256, 256, 3] HWC, normalised. */
  x: Float32Array;
  /** Int32Array [size]: 0 real, 1 fake. */
  labels: Int32Array;
  paths: string[];
  size: number;
  epoch: number;
  /** Position of this batch within its epoch. */
  index: number;
  /**
   * Time (ms) this batch's assembly spent waiting for sharp decodes that were not finished yet. Decodes run
   * on libuv threads while the trainer computes, so this is the decode time the trainer actually pays.
   */
  decodeMs: number;
  /** Main-thread time (ms) spent normalising/augmenting this batch. */
  transformMs: number;
  /** Wall time (ms) the consumer's next() was blocked on this batch: decodeMs + transformMs + allocation. */
  waitMs: number;
  /** Samples that failed to decode while building this batch; they are left out, not retried. */
  skipped: BadFile[];
  /** With the `faces` option: each image's 68 landmarks as the batch shows it (null: no face found). */
  landmarks?: (number[] | null)[];
}

export interface Loader extends AsyncIterable<Batch> {
  readonly dataset: FaceDataset;
  readonly batchSize: number;
  /** Batches per epoch, assuming every sample decodes. */
  readonly batchesPerEpoch: number;
  /** Epoch the next `for await` over the loader itself will run. */
  readonly nextEpoch: number;
  /** Every sample that failed to decode so far (each once); later epochs skip them without retrying. */
  readonly bad: readonly BadFile[];
  /** Batches of epoch `n` (reproducible: same seed and epoch give the same batches). */
  epoch(n: number): AsyncGenerator<Batch>;
}

type Decoded = { ok: true; bytes: Uint8Array } | { ok: false; error: unknown };

type Options = Required<Omit<LoaderOptions, 'faces'>> & Pick<LoaderOptions, 'faces'>;

function checkOptions(dataset: FaceDataset, o: LoaderOptions): Options {
  const opts = {
    faces: o.faces,
    batchSize: o.batchSize,
    shuffle: o.shuffle ?? false,
    seed: o.seed ?? 0,
    augment: o.augment ?? false,
    policy: o.policy ?? 'crop-flip',
    balanced: o.balanced ?? false,
    prefetch: o.prefetch ?? 2,
    dropLast: o.dropLast ?? false,
  };
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
    throw new UnmaskError('BAD_ARGUMENT', `batchSize must be a positive integer, got ${opts.batchSize}`);
  }
  if (!Number.isInteger(opts.prefetch) || opts.prefetch < 0) {
    throw new UnmaskError('BAD_ARGUMENT', `prefetch must be an integer >= 0, got ${opts.prefetch}`);
  }
  if (!Number.isSafeInteger(opts.seed)) throw new UnmaskError('BAD_ARGUMENT', `seed must be an integer, got ${opts.seed}`);
  if (dataset.length === 0) throw new UnmaskError('DATASET_INVALID', `dataset ${dataset.name} has no samples`);
  return opts;
}

/** Tag mixed into shuffle seeds. */
const SHUFFLE_TAG = 0x5348554e;

/** Decodes of one epoch in sample order, at most `window` in flight; promises never reject. */
class DecodeQueue {
  private readonly pending: { index: number; result: Promise<Decoded> }[] = [];
  private launched = 0;

  constructor(
    private readonly dataset: FaceDataset,
    private readonly order: readonly number[],
    private readonly window: number,
  ) {
    this.fill();
  }

  get done(): boolean {
    return this.pending.length === 0 && this.launched >= this.order.length;
  }

  private fill(): void {
    while (this.pending.length < this.window && this.launched < this.order.length) {
      const index = this.order[this.launched++]!;
      const result = this.dataset.raw(index).then(
        (bytes): Decoded => ({ ok: true, bytes }),
        (error: unknown): Decoded => ({ ok: false, error }),
      );
      this.pending.push({ index, result });
    }
  }

  /** The next sample in order, once decoded; launches the next decode first so the window stays full. */
  async next(): Promise<{ index: number; decoded: Decoded } | null> {
    const head = this.pending.shift();
    if (head === undefined) return null;
    this.fill();
    return { index: head.index, decoded: await head.result };
  }
}

/** Takes decoded samples off the queue until one batch is full (or the epoch ends); failures are recorded and skipped. */
async function assemble(
  queue: DecodeQueue,
  dataset: FaceDataset,
  opts: Options,
  epoch: number,
  failed: Map<number, BadFile>,
): Promise<Omit<Batch, 'epoch' | 'index' | 'waitMs'>> {
  const x = new Float32Array(opts.batchSize * IMAGE_VALUES);
  const labels: number[] = [];
  const paths: string[] = [];
  const skipped: BadFile[] = [];
  const landmarks: (number[] | null)[] = [];
  let decodeMs = 0;
  let transformMs = 0;
  while (labels.length < opts.batchSize) {
    const t0 = performance.now();
    const item = await queue.next();
    const t1 = performance.now();
    decodeMs += t1 - t0;
    if (item === null) break;
    const sample = dataset.sample(item.index);
    if (!item.decoded.ok) {
      const bad: BadFile = { path: sample.path, kind: 'decode-failed', reason: firstLine(item.decoded.error) };
      failed.set(item.index, bad);
      skipped.push(bad);
      continue;
    }
    const augment = opts.augment ? drawTrainAugment(opts.policy, rngFrom(opts.seed, epoch, item.index, AUGMENT_TAG)) : null;
    renderAugmented(item.decoded.bytes, augment, x, labels.length * IMAGE_VALUES);
    transformMs += performance.now() - t1;
    if (opts.faces) {
      const found = await opts.faces.landmarks(item.decoded.bytes);
      landmarks.push(found && augment ? transformLandmarks(found, augmentGeometry(augment)) : found);
    }
    labels.push(sample.label);
    paths.push(sample.path);
  }
  const size = labels.length;
  const xs = size === opts.batchSize ? x : x.slice(0, size * IMAGE_VALUES);
  return { x: xs, labels: Int32Array.from(labels), paths, size, decodeMs, transformMs, skipped, ...(opts.faces ? { landmarks } : {}) };
}

/**
 * Makes a loader over `dataset`. Iterating the loader runs epoch 0, then 1, ...; `loader.epoch(n)` runs a
 * given epoch. Up to (prefetch + 1) * batchSize decodes are kept in flight so sharp's libuv threads
 * overlap with the consumer's compute. Sample order within an epoch and the augmentation of each sample
 * (rngFrom(seed, epoch, index, AUGMENT_TAG)) do not depend on decode timing, so runs are reproducible.
 */
export function createLoader(dataset: FaceDataset, options: LoaderOptions): Loader {
  const opts = checkOptions(dataset, options);
  const failed = new Map<number, BadFile>();
  const n = dataset.length;
  const labels = Int32Array.from({ length: n }, (_, i) => dataset.sample(i).label);
  const perEpoch = opts.shuffle && opts.balanced ? balancedLength(labels) : n;
  let next = 0;

  async function* epoch(e: number): AsyncGenerator<Batch> {
    if (!Number.isInteger(e) || e < 0) throw new UnmaskError('BAD_ARGUMENT', `epoch must be an integer >= 0, got ${e}`);
    const rng = rngFrom(opts.seed, e, SHUFFLE_TAG);
    const perm = !opts.shuffle ? Array.from({ length: n }, (_, i) => i) : opts.balanced ? balancedOrder(labels, rng) : permutation(n, rng);
    const order = Array.from(perm).filter((i) => !failed.has(i));
    const queue = new DecodeQueue(dataset, order, (opts.prefetch + 1) * opts.batchSize);
    for (let index = 0; !queue.done; index++) {
      const t0 = performance.now();
      const part = await assemble(queue, dataset, opts, e, failed);
      // An empty or (with dropLast) short tail is not yielded; its failures are still in loader.bad.
      if (part.size === 0 || (opts.dropLast && part.size < opts.batchSize)) return;
      yield { ...part, epoch: e, index, waitMs: performance.now() - t0 };
    }
  }

  return {
    dataset,
    batchSize: opts.batchSize,
    batchesPerEpoch: opts.dropLast ? Math.floor(perEpoch / opts.batchSize) : Math.ceil(perEpoch / opts.batchSize),
    get nextEpoch() {
      return next;
    },
    get bad() {
      return [...failed.values()];
    },
    epoch,
    [Symbol.asyncIterator]: () => epoch(next++),
  };
}
