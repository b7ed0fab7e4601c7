// scanDatasets: several dataset folders scanned as one, each image keeping its own folder's label and split.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { UnmaskError } from '../engine/errors.js';
import { runFolders, type RunDatasetRef } from './run-folders.js';
import { byPath, classBalance, countOf, scanDataset, summaryOf, type ScanOptions } from './scan.js';
import { SPLITS, type DatasetScan, type SplitName, type SplitSummary } from './types.js';

/**
 * The union of several folders' scans, split by split: a folder's train images are train images, and so on.
 * Samples keep their folder's order (each folder's own order is by path); an image in two folders is there twice.
 */
export function mergeScans(parts: DatasetScan[], elapsedMs = 0): DatasetScan {
  if (parts.length === 0) throw new UnmaskError('BAD_ARGUMENT', 'mergeScans needs at least one scan');
  const splits = Object.fromEntries(SPLITS.map((split) => [split, summaryOf(parts.flatMap((p) => p.splits[split].samples))])) as Record<
    SplitName,
    SplitSummary
  >;
  const counts = countOf(SPLITS.flatMap((split) => splits[split].samples));
  return {
    root: parts[0]!.root,
    layout: { splits: parts.every((p) => p.layout.splits === 'folders') ? 'folders' : 'derived', classes: parts[0]!.layout.classes },
    splits,
    counts,
    ...classBalance(counts),
    bad: parts.flatMap((p) => p.bad).sort(byPath),
    seed: parts[0]!.seed,
    elapsedMs,
    parts,
  };
}

/**
 * Scans one folder (exactly as scanDataset does) or several, merged by mergeScans. Throws BAD_ARGUMENT when
 * no folder, or one folder twice, is given; otherwise what scanDataset throws for the first folder it refuses.
 */
export async function scanDatasets(roots: readonly string[], options: ScanOptions = {}): Promise<DatasetScan> {
  if (roots.length === 0) throw new UnmaskError('BAD_ARGUMENT', 'a dataset folder is required');
  if (roots.length === 1) return scanDataset(roots[0]!, options);
  const started = performance.now();
  const absolute = roots.map((r) => path.resolve(r));
  const twice = absolute.find((r, i) => absolute.indexOf(r) !== i);
  if (twice !== undefined) throw new UnmaskError('BAD_ARGUMENT', `dataset folders must be distinct: ${twice} is listed twice`);
  const parts: DatasetScan[] = [];
  for (const root of absolute) parts.push(await scanDataset(root, options));
  return mergeScans(parts, performance.now() - started);
}

/** The folders of a scan: its parts' roots, or its own root. */
export function scanFolders(scan: DatasetScan): string[] {
  return scan.parts ? scan.parts.map((p) => p.root) : [scan.root];
}

/**
 * A run's own dataset scanned again with its seed, so a derived (flat-layout) split holds the same images as in
 * training; a run trained on several folders gets them merged as in training.
 */
export function scanRunDataset(run: RunDatasetRef, options: Omit<ScanOptions, 'seed'> = {}): Promise<DatasetScan> {
  return scanDatasets(runFolders(run), { ...options, seed: run.params.seed });
}
