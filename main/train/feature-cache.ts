// The on-disk cache of frozen-backbone features: one float32 file per (backbone weights, image content, view).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { augmentNormalise, mixSeed, rngFrom, type Rng } from '../data/index.js';
import type { AugmentPolicy } from '../data/augment-policy.js';
import type { ViewGeometry } from '../data/face-parts.js';
import { augmentGeometry, drawTrainAugment, renderAugmented, type TrainAugment } from '../data/train-augment.js';
import { drawSelfBlend, placeOnFace, selfBlend } from '../data/self-blend.js';
import { fromHalf, toHalf } from './half.js';
import type { TrainViews } from './recipe-types.js';

/**
 * Version of everything between an image file and its cached feature vector that the weights hash does not
 * see: decoding (256 px, cover crop), the train-time augmentation (4 px pad crop + flip, drawn per content
 * hash and view), the dataset normalisation. Bump it when any of those change so old files are not reused.
 */
export const FEATURE_PIPELINE = 'unmask-features-1:decode256-cover:crop4-flip:cifar-norm';

/** Tag mixed into the augmentation seeds of cached views (never equal to the loader's AUGMENT_TAG). */
const VIEW_AUGMENT_TAG = 0x46564147;

/**
 * 'plain' = the image as evaluated (no augmentation); 'flip' = its mirror image (test-time flips); 'aug0',
 * 'aug1', … = fixed augmented training views (crop-flip); 'dfa0', … = the same with the deepfake augmentation;
 * 'sbl0', … = self-blended pseudo-fakes of a real image (masks on its landmarks; 'sbi' before them), augmented
 * like the matching 'aug' view. Rename a kind when what renders it changes, so old cache files are not reused.
 */
export type ViewName = 'plain' | 'flip' | AugmentedView | `sbl${number}`;
/** A cached augmented training view: crop-flip ('aug') or deepfake ('dfa'). */
export type AugmentedView = `aug${number}` | `dfa${number}`;

/** Tag mixed into the augmentation seeds of deepfake-augmented cached views. */
const DEEPFAKE_VIEW_TAG = 0x44464156;

/** Tag mixed into the self-blend parameter seeds of 'sbl' views. */
const SELF_BLEND_TAG = 0x53424931;

export function augmentedViews(count: number, policy: AugmentPolicy = 'crop-flip'): AugmentedView[] {
  return Array.from({ length: count }, (_, k): AugmentedView => (policy === 'deepfake' ? `dfa${k}` : `aug${k}`));
}

/** The cached views of each training image: `count` augmented ones (of `policy`), the image and its mirror image ('mirror'), or the image ('plain'). */
export function trainingViews(count: number, kind: TrainViews = 'augmented', policy: AugmentPolicy = 'crop-flip'): ViewName[] {
  if (kind === 'plain') return ['plain'];
  return kind === 'mirror' ? ['plain', 'flip'] : augmentedViews(count, policy);
}

export function selfBlendViews(count: number): ViewName[] {
  return Array.from({ length: count }, (_, k): ViewName => `sbl${k}`);
}

/**
 * A layer's config as far as it decides what the layer computes once its weights are set: without initializers,
 * regularizers, constraints and the trainable flag. The seed a model was created with is in its initializers'
 * configs, so keeping them gave a run's scoring (model created without the run's seed, then its checkpoint
 * loaded) another key than its training, and every scoring recomputed the features training had cached.
 */
function computeConfig(layer: tf.layers.Layer): Record<string, unknown> {
  return Object.fromEntries(Object.entries(layer.getConfig()).filter(([key]) => key !== 'trainable' && !/(Initializer|Regularizer|Constraint)$/.test(key)));
}

/**
 * sha256 (hex, first 32 characters) identifying a backbone: the pipeline version, the model's name, the feature
 * layer, what else decides its inputs (`inputs`, e.g. how face-part boxes are found; empty for most models), and
 * every layer of `layers` (name, what it computes, each weight's name, shape and float32 bytes) in order. The
 * same ImageNet weights in the same model give the same key in every run, whatever its seed, and when its
 * checkpoint is scored; a fine-tuned backbone gives another.
 */
export function backboneHash(modelName: string, featureLayer: string, layers: readonly tf.layers.Layer[], inputs = ''): string {
  const hash = createHash('sha256').update(`${FEATURE_PIPELINE}\n${modelName}\n${featureLayer}\n${inputs ? `${inputs}\n` : ''}`);
  for (const layer of layers) {
    hash.update(`${layer.name}:${JSON.stringify(computeConfig(layer))}\n`);
    for (const w of layer.weights) {
      const data = w.read().dataSync() as Float32Array;
      hash.update(`${w.originalName}[${w.shape.join(',')}]\n`);
      hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  }
  return hash.digest('hex').slice(0, 32);
}

/** sha256 (hex) of a file's bytes: the image half of a cache key, so renamed or moved images still hit. */
export async function contentHash(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fsp.readFile(file))
    .digest('hex');
}

/** Which augmentation a cached augmented view was drawn with (its name's prefix). */
function viewPolicy(view: AugmentedView): AugmentPolicy {
  return view.startsWith('dfa') ? 'deepfake' : 'crop-flip';
}

/** The augmentation stream of one cached view, drawn from the image's content hash (not the run's seed). */
export function viewRng(hash: string, view: AugmentedView): Rng {
  const tag = viewPolicy(view) === 'deepfake' ? DEEPFAKE_VIEW_TAG : VIEW_AUGMENT_TAG;
  return rngFrom(parseInt(hash.slice(0, 8), 16), parseInt(hash.slice(8, 16), 16), Number(view.slice(3)), tag);
}

/** The augmentation of a cached augmented view. */
function viewAugment(hash: string, view: AugmentedView): TrainAugment {
  return drawTrainAugment(viewPolicy(view), viewRng(hash, view));
}

/**
 * Writes the normalised (and, for an augmented view, cropped and flipped) image [256, 256, 3] into `out` at
 * `offset`. A self-blended view's mask goes onto the face's `landmarks` when they are known.
 */
export function renderView(
  bytes: Uint8Array,
  hash: string,
  view: ViewName,
  out: Float32Array,
  offset: number,
  landmarks: readonly number[] | null = null,
): void {
  if (view === 'flip') augmentNormalise(bytes, { dy: 0, dx: 0, flip: true }, out, offset);
  else if (view.startsWith('sbl')) {
    const k = Number(view.slice(3));
    const blended = selfBlend(
      bytes,
      placeOnFace(drawSelfBlend(rngFrom(parseInt(hash.slice(0, 8), 16), parseInt(hash.slice(8, 16), 16), k, SELF_BLEND_TAG)), landmarks),
    );
    renderAugmented(blended, viewAugment(hash, `aug${k}`), out, offset);
  } else renderAugmented(bytes, view === 'plain' ? null : viewAugment(hash, view as AugmentedView), out, offset);
}

/** Where a view moves the image's pixels (its landmarks move the same way): a crop (and scale) and a mirror. */
export function viewGeometry(hash: string, view: ViewName): ViewGeometry {
  if (view === 'plain') return { dx: 0, dy: 0, flip: false };
  if (view === 'flip') return { dx: 0, dy: 0, flip: true };
  // A self-blended view is augmented like the 'aug' view of the same index (renderView); blending moves no pixel of the face.
  return augmentGeometry(viewAugment(hash, view.startsWith('sbl') ? `aug${Number(view.slice(3))}` : (view as AugmentedView)));
}

/**
 * Feature files under `root/<weightsHash>/<imageContentHash>-<view>.f32` (raw little-endian float32, one
 * vector each; `.f16` half precision for the large activations of a cut inside the backbone), written
 * atomically. Counts its hits and misses.
 */
export class FeatureCache {
  readonly dir: string;
  hits = 0;
  misses = 0;

  /** Whether computed vectors are written to disk (false: read what is there, keep nothing new — e.g. predicting on a user's photos). */
  readonly keep: boolean;

  constructor(
    root: string,
    readonly weightsHash: string,
    readonly dim: number,
    readonly precision: 'f32' | 'f16' = 'f32',
    options: { keep?: boolean } = {},
  ) {
    this.dir = path.join(root, weightsHash);
    this.keep = options.keep ?? true;
    if (this.keep) fs.mkdirSync(this.dir, { recursive: true });
  }

  file(hash: string, view: ViewName): string {
    return path.join(this.dir, `${hash}-${view}.${this.precision}`);
  }

  /** The cached vector, or null (a missing or wrong-sized file is a miss). */
  read(hash: string, view: ViewName): Float32Array | null {
    let buffer: Buffer;
    try {
      buffer = fs.readFileSync(this.file(hash, view));
    } catch {
      this.misses++;
      return null;
    }
    const bytes = this.precision === 'f16' ? 2 : 4;
    if (buffer.byteLength !== this.dim * bytes) {
      this.misses++;
      return null;
    }
    this.hits++;
    if (this.precision === 'f16') {
      const bits = new Uint16Array(this.dim);
      new Uint8Array(bits.buffer).set(buffer);
      return fromHalf(bits);
    }
    const out = new Float32Array(this.dim);
    new Uint8Array(out.buffer).set(buffer);
    return out;
  }

  /**
   * Stores `vector` and returns it as a later read() will (rounded to half precision in an f16 cache), so a run
   * that computes its features trains on exactly what a run reading them back does.
   */
  write(hash: string, view: ViewName, vector: Float32Array): Float32Array {
    if (!this.keep) return this.precision === 'f16' ? fromHalf(toHalf(vector)) : vector;
    const file = this.file(hash, view);
    const tmp = `${file}.tmp-${process.pid}-${mixSeed(Date.now(), Math.random() * 2 ** 32).toString(16)}`;
    const stored = this.precision === 'f16' ? toHalf(vector) : vector;
    fs.writeFileSync(tmp, new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength));
    fs.renameSync(tmp, file);
    return stored instanceof Uint16Array ? fromHalf(stored) : vector;
  }
}
