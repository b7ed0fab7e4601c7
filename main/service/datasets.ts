// Dataset folders the user opened: their scans, paged image lists, thumbnails, and the access rule for paths.
import path from 'node:path';
import sharp from 'sharp';
import type { DatasetSummary, EncodedImage, ImageEntry, ImagePage, SplitName } from '../api/contract.js';
import { scanDataset, SPLITS, DEFAULT_MAX_PIXELS, type DatasetScan } from '../data/index.js';
import { UnmaskError } from '../engine/errors.js';

/** Skipped files listed in a summary; the count covers all of them. */
const MAX_BAD_LISTED = 200;

interface Opened {
  scan: DatasetScan;
  summary: DatasetSummary;
  /** Every image of the scan in split, class, path order. */
  images: ImageEntry[];
  byPath: Set<string>;
}

function summarise(scan: DatasetScan): DatasetSummary {
  const splits = Object.fromEntries(
    SPLITS.map((s) => [s, { counts: scan.splits[s].counts, fakeToReal: scan.splits[s].fakeToReal }]),
  ) as DatasetSummary['splits'];
  return {
    path: scan.root,
    name: path.basename(scan.root),
    splitsFrom: scan.layout.splits,
    splits,
    counts: scan.counts,
    fakeToReal: scan.fakeToReal,
    bad: scan.bad.slice(0, MAX_BAD_LISTED).map((b) => ({ path: b.path, kind: b.kind, reason: b.reason })),
    badCount: scan.bad.length,
    scanMs: Math.round(scan.elapsedMs),
  };
}

export class DatasetRegistry {
  private readonly opened = new Map<string, Promise<Opened>>();

  /**
   * @param knownRoots dataset folders that are allowed without being opened in this session (those of
   *   recorded runs), looked up when a path is not in an opened dataset.
   */
  constructor(private readonly knownRoots: () => string[]) {}

  /** Scans `folder` (again, when asked again: files may have changed) and allows access to its images. */
  async open(folder: string): Promise<DatasetSummary> {
    const root = path.resolve(folder);
    const scanning = this.scan(root);
    this.opened.set(root, scanning);
    try {
      return (await scanning).summary;
    } catch (error) {
      if (this.opened.get(root) === scanning) this.opened.delete(root);
      throw error;
    }
  }

  async list(): Promise<DatasetSummary[]> {
    const settled = await Promise.allSettled(this.opened.values());
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.summary] : []));
  }

  /** A page of a dataset's images, optionally one split and/or class. The dataset must be open or a run's. */
  async images(folder: string, filter: { split?: SplitName; label?: 'real' | 'fake'; offset?: number; limit?: number }): Promise<ImagePage> {
    const { images } = await this.get(folder);
    const matching = images.filter((i) => (!filter.split || i.split === filter.split) && (!filter.label || i.label === filter.label));
    const offset = filter.offset ?? 0;
    return { total: matching.length, offset, items: matching.slice(offset, offset + (filter.limit ?? 100)) };
  }

  /** The folder of an opened dataset, or of a recorded run's dataset (scanned on first use). */
  async get(folder: string): Promise<Opened> {
    const root = path.resolve(folder);
    const opened = this.opened.get(root);
    if (opened) return opened;
    if (!this.knownRoots().includes(root)) throw new UnmaskError('FORBIDDEN', `${root} is not an opened dataset folder: open it first`);
    const scanning = this.scan(root);
    this.opened.set(root, scanning);
    return scanning;
  }

  /**
   * Throws FORBIDDEN unless `file` is an image that a scan of an allowed dataset listed. Membership, not a
   * path-prefix test: `..`, symlinks and look-alike prefixes cannot reach anything a scan did not list.
   */
  async assertImage(file: string): Promise<void> {
    const absolute = path.resolve(file);
    for (const [root, opened] of this.openedAndKnown()) {
      if (!absolute.startsWith(root + path.sep)) continue;
      const ok = await opened.then((o) => o.byPath.has(absolute)).catch(() => false);
      if (ok) return;
    }
    throw new UnmaskError('FORBIDDEN', `${absolute} is not an image of an opened dataset folder`);
  }

  /** The image fitted inside size × size, as JPEG (thumbnails and full views). */
  async thumbnail(file: string, size: number): Promise<EncodedImage> {
    await this.assertImage(file);
    try {
      const { data, info } = await sharp(path.resolve(file), { limitInputPixels: DEFAULT_MAX_PIXELS, failOn: 'truncated' })
        .rotate()
        .resize(size, size, { fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 82 })
        .toBuffer({ resolveWithObject: true });
      return { mime: 'image/jpeg', base64: data.toString('base64'), width: info.width, height: info.height };
    } catch (error) {
      throw new UnmaskError('DATASET_INVALID', `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private *openedAndKnown(): Generator<[string, Promise<Opened>]> {
    yield* this.opened;
    for (const root of this.knownRoots()) if (!this.opened.has(root)) yield [root, this.get(root)];
  }

  private async scan(root: string): Promise<Opened> {
    // A folder of test/ (or val/) alone is a dataset to evaluate on; training checks for every split itself.
    const scan = await scanDataset(root, { partialSplits: true });
    const images: ImageEntry[] = SPLITS.flatMap((split) =>
      scan.splits[split].samples.map((s) => ({ path: s.path, split, label: s.label === 1 ? ('fake' as const) : ('real' as const) })),
    );
    return { scan, summary: summarise(scan), images, byPath: new Set(images.map((i) => i.path)) };
  }
}
