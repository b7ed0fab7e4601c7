// Shared types of the data module: samples, splits, skipped files and the result of a dataset scan.

/** 0 = real, 1 = fake. */
export type Label = 0 | 1;
/** The classes by name, in label order (also the dataset's class folder names). */
export const CLASS_NAMES = ['real', 'fake'] as const;
export type ClassName = (typeof CLASS_NAMES)[number];

export const SPLITS = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];

/** One image file with its class. `path` is absolute. */
export interface Sample {
  path: string;
  label: Label;
}

/** Why a file was skipped; the UI groups on `kind`, `reason` is for people. */
export type BadKind = 'extension' | 'empty' | 'not-image' | 'unsupported-format' | 'too-large' | 'symlink-loop' | 'unreadable' | 'decode-failed';

export interface BadFile {
  path: string;
  kind: BadKind;
  reason: string;
}

export interface ClassCounts {
  real: number;
  fake: number;
  total: number;
}

export interface SplitSummary {
  samples: Sample[];
  counts: ClassCounts;
  /** fake / real, null when there is no real sample. */
  fakeToReal: number | null;
  /** fake / total, 0 when empty. */
  fakeShare: number;
}

/**
 * How the folder was laid out. `splits: 'folders'` = train/val/test on disk; `'derived'` = flat class
 * folders split 70/15/15 by scanDataset. `classes` names the class folders found.
 */
export interface DatasetLayout {
  splits: 'folders' | 'derived';
  classes: 'real/fake' | '0_real/1_fake';
}

export interface DatasetScan {
  /** The folder scanned; the first folder of several scanned together. */
  root: string;
  layout: DatasetLayout;
  splits: Record<SplitName, SplitSummary>;
  counts: ClassCounts;
  fakeToReal: number | null;
  fakeShare: number;
  /** Files that were skipped, sorted by path. Hidden files are ignored silently and never listed. */
  bad: BadFile[];
  /** Seed used for a derived split (also echoed when the split came from folders). */
  seed: number;
  elapsedMs: number;
  /** Several folders scanned together (scanDatasets): each folder's own scan, in the order given; absent for one folder. */
  parts?: DatasetScan[];
}

/** Side length of every decoded image; tensors are [batch, 256, 256, 3] HWC. */
export const IMAGE_SIZE = 256;
export const CHANNELS = 3;
/** Values per decoded image: 256 * 256 * 3. */
export const IMAGE_VALUES = IMAGE_SIZE * IMAGE_SIZE * CHANNELS;

/** Default decompression-bomb guard: images above 40 megapixels are refused before decoding. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

/** Extensions accepted as images (lower-case, compared case-insensitively). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp']);
