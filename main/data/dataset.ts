// FaceDataset: one split's samples, decoded and transformed on demand.
import { UnmaskError } from '../engine/errors.js';
import { decodeImage } from './decode.js';
import type { FaceCropper } from './face-crop.js';
import { rngFrom } from './rng.js';
import { transformImage } from './transforms.js';
import { DEFAULT_MAX_PIXELS, SPLITS, type DatasetScan, type Label, type Sample, type SplitName } from './types.js';

export interface DatasetItem {
  /** Float32Array [256, 256, 3] HWC, normalised (and augmented when asked). */
  image: Float32Array;
  label: Label;
  path: string;
}

export interface DatasetOptions {
  /** Pixel limit passed to the decoder (default 40e6). */
  maxPixels?: number;
  /** Raw photos: decode each image to its largest face's crop (faceless images are listed by the cropper). */
  faceCropper?: FaceCropper;
}

/** Tag mixed into augmentation seeds so they never collide with shuffle seeds. */
export const AUGMENT_TAG = 0x41554721;

export class FaceDataset {
  readonly samples: readonly Sample[];
  readonly maxPixels: number;
  readonly faceCropper: FaceCropper | undefined;

  constructor(
    samples: readonly Sample[],
    readonly name: string = 'custom',
    opts: DatasetOptions = {},
  ) {
    this.samples = [...samples];
    this.maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
    this.faceCropper = opts.faceCropper;
  }

  /** One split of a scan as a dataset. */
  static fromScan(scan: DatasetScan, split: SplitName, opts: DatasetOptions = {}): FaceDataset {
    return new FaceDataset(scan.splits[split].samples, split, opts);
  }

  /** The samples that pass `keep`, decoded the same way (pixel limit, face crops). */
  filter(keep: (sample: Sample, index: number) => boolean, name: string = this.name): FaceDataset {
    return new FaceDataset(this.samples.filter(keep), name, { maxPixels: this.maxPixels, faceCropper: this.faceCropper });
  }

  get length(): number {
    return this.samples.length;
  }

  /** The i-th sample's path and label. Throws BAD_ARGUMENT when out of range. */
  sample(i: number): Sample {
    const s = Number.isInteger(i) ? this.samples[i] : undefined;
    if (s === undefined) throw new UnmaskError('BAD_ARGUMENT', `index ${i} out of range for ${this.name} (length ${this.length})`);
    return s;
  }

  /** Decoded RGB bytes of sample i: Uint8Array [256, 256, 3] HWC. Throws DATASET_INVALID on decode failure. */
  async raw(i: number): Promise<Uint8Array> {
    const file = this.sample(i).path;
    return this.faceCropper ? this.faceCropper.decode(file, this.maxPixels) : decodeImage(file, { maxPixels: this.maxPixels });
  }

  /**
   * Sample i decoded and normalised: image Float32Array [256*256*3] HWC. With `augment`, the random
   * crop + flip is drawn from rngFrom(seed, 0, i, AUGMENT_TAG) (the loader's stream for epoch 0).
   */
  async get(i: number, opts: { augment?: boolean; seed?: number } = {}): Promise<DatasetItem> {
    const { path, label } = this.sample(i);
    const bytes = await this.raw(i);
    const rng = opts.augment === true ? rngFrom(opts.seed ?? 0, 0, i, AUGMENT_TAG) : null;
    return { image: transformImage(bytes, rng), label, path };
  }
}

/** Datasets for train, val and test of a scan. */
export function datasetsFromScan(scan: DatasetScan, opts: DatasetOptions = {}): Record<SplitName, FaceDataset> {
  const out = {} as Record<SplitName, FaceDataset>;
  for (const split of SPLITS) out[split] = FaceDataset.fromScan(scan, split, opts);
  return out;
}
