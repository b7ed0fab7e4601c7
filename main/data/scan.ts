// scanDataset: finds every usable image of a dataset folder, with labels, splits, class balance and skipped files.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { firstLine, UnmaskError } from '../engine/errors.js';
import { DEFAULT_RATIOS, resolveLayout, stableSplit, type ClassFolder, type SplitRatios } from './layout.js';
import { mapLimit, probeImage } from './probe.js';
import { walkImages } from './walk.js';
import { DEFAULT_MAX_PIXELS, SPLITS, type BadFile, type ClassCounts, type DatasetScan, type Sample, type SplitName, type SplitSummary } from './types.js';

export interface ScanOptions {
  /** Seed of the derived 70/15/15 split of a flat layout (default 0). */
  seed?: number;
  /** Train/val/test fractions for a flat layout (default [0.7, 0.15, 0.15]). */
  ratios?: SplitRatios;
  /** Images with more pixels than this are skipped as decompression bombs (default 40e6). */
  maxPixels?: number;
  /** Header reads in flight (default 16); they run on libuv's thread pool. */
  concurrency?: number;
  /** Accept a folder with only some of train/, val/, test/ (the others are empty): evaluation folders. */
  partialSplits?: boolean;
}

/** The options every class folder's scan uses, defaults filled in. */
type CheckedOptions = Required<Omit<ScanOptions, 'partialSplits'>>;

function checkOptions(opts: ScanOptions): CheckedOptions {
  const seed = opts.seed ?? 0;
  const ratios = opts.ratios ?? DEFAULT_RATIOS;
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const concurrency = opts.concurrency ?? 16;
  if (!Number.isSafeInteger(seed)) throw new UnmaskError('BAD_ARGUMENT', `seed must be an integer, got ${seed}`);
  const sum = ratios[0] + ratios[1] + ratios[2];
  if (ratios.some((r) => !(r >= 0)) || Math.abs(sum - 1) > 1e-6) {
    throw new UnmaskError('BAD_ARGUMENT', `split ratios must be >= 0 and sum to 1, got ${ratios.join('/')}`);
  }
  if (!(maxPixels > 0)) throw new UnmaskError('BAD_ARGUMENT', `maxPixels must be > 0, got ${maxPixels}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UnmaskError('BAD_ARGUMENT', `concurrency must be a positive integer, got ${concurrency}`);
  }
  return { seed, ratios, maxPixels, concurrency };
}

/** Lists, then header-checks, one class folder. Throws when it holds no usable image. */
async function scanClassFolder(folder: ClassFolder, opts: CheckedOptions): Promise<{ samples: Sample[]; bad: BadFile[] }> {
  let walked;
  try {
    walked = await walkImages(folder.dir);
  } catch (error) {
    throw new UnmaskError('DATASET_INVALID', `cannot read folder ${folder.dir}: ${firstLine(error)}`);
  }
  const probed = await mapLimit(walked.files, opts.concurrency, (f) => probeImage(f, opts.maxPixels));
  const bad = [...walked.bad];
  const samples: Sample[] = [];
  walked.files.forEach((file, i) => {
    const problem = probed[i];
    if (problem) bad.push(problem);
    else samples.push({ path: file, label: folder.label });
  });
  if (samples.length === 0) {
    const skipped = bad.length === 0 ? '' : `; ${bad.length} file(s) skipped, e.g. ${bad[0]!.path}: ${bad[0]!.reason}`;
    throw new UnmaskError('DATASET_INVALID', `empty folder: no usable images in ${folder.dir}${skipped}`);
  }
  return { samples, bad };
}

/** Path order (a scan's samples and skipped files are listed by path). */
export const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

export function countOf(samples: readonly Sample[]): ClassCounts {
  let fake = 0;
  for (const s of samples) fake += s.label;
  return { real: samples.length - fake, fake, total: samples.length };
}

/** The class balance of `counts`: fakes per real image (null without real ones) and the share of fakes. */
export function classBalance(counts: ClassCounts): { fakeToReal: number | null; fakeShare: number } {
  return { fakeToReal: counts.real > 0 ? counts.fake / counts.real : null, fakeShare: counts.total > 0 ? counts.fake / counts.total : 0 };
}

/** A split's summary of `samples`, in the order given. */
export function summaryOf(samples: Sample[]): SplitSummary {
  const counts = countOf(samples);
  return { samples, counts, ...classBalance(counts) };
}

function summarise(samples: Sample[]): SplitSummary {
  return summaryOf(samples.sort(byPath));
}

/** Assigns a flat class folder's samples to train/val/test by stableSplit on their relative paths. */
function deriveSplits(dir: string, samples: readonly Sample[], opts: CheckedOptions): Record<SplitName, Sample[]> {
  const keys = samples.map((s) => path.relative(dir, s.path).split(path.sep).join('/'));
  const where = stableSplit(keys, opts.seed, opts.ratios);
  const out: Record<SplitName, Sample[]> = { train: [], val: [], test: [] };
  samples.forEach((s, i) => out[where[i]!].push(s));
  return out;
}

/**
 * Scans a dataset folder. Accepted layouts: {train,val,test}/{real,fake}, the same with
 * {0_real,1_fake} (CNNDetection), or flat {real,fake} / {0_real,1_fake}, which is split 70/15/15 per class,
 * seeded and stable (see stableSplit); with `partialSplits`, any of train/val/test alone. Sub-folders inside a
 * class folder are searched too.
 * Each file is checked by extension, size and image header only; skipped files are listed in `bad`.
 * Throws UnmaskError: NOT_FOUND (no such folder), DATASET_INVALID (missing split/class folder, empty
 * folder, unrecognised layout), BAD_ARGUMENT (options).
 */
export async function scanDataset(root: string, options: ScanOptions = {}): Promise<DatasetScan> {
  const started = performance.now();
  const opts = checkOptions(options);
  const absRoot = path.resolve(root);
  const { layout, folders } = await resolveLayout(absRoot, { partialSplits: options.partialSplits });
  const perSplit: Record<SplitName, Sample[]> = { train: [], val: [], test: [] };
  const bad: BadFile[] = [];
  for (const [where, list] of Object.entries(folders)) {
    for (const folder of list ?? []) {
      const found = await scanClassFolder(folder, opts);
      bad.push(...found.bad);
      if (where === 'all') {
        const parts = deriveSplits(folder.dir, found.samples, opts);
        for (const split of SPLITS) perSplit[split].push(...parts[split]);
      } else perSplit[where as SplitName].push(...found.samples);
    }
  }
  const splits = { train: summarise(perSplit.train), val: summarise(perSplit.val), test: summarise(perSplit.test) };
  const counts = countOf([...perSplit.train, ...perSplit.val, ...perSplit.test]);
  bad.sort(byPath);
  return {
    root: absRoot,
    layout,
    splits,
    counts,
    ...classBalance(counts),
    bad,
    seed: opts.seed,
    elapsedMs: performance.now() - started,
  };
}
