// Content fingerprints: of a dataset (changes when any image's bytes, label or split change) and of a set of images.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SPLITS, type DatasetScan, type Sample } from './types.js';

/** sha256 (hex) of each file's bytes, by path; pass one to several fingerprints to read each file once. */
export type DigestCache = Map<string, string>;

/** Fills `cache` with the sha256 of every file of `files` it lacks, `concurrency` reads at a time. */
async function digestFiles(files: readonly string[], cache: DigestCache, concurrency: number): Promise<void> {
  const todo = [...new Set(files.filter((f) => !cache.has(f)))];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < todo.length) {
      const file = todo[next++]!;
      cache.set(
        file,
        createHash('sha256')
          .update(await fs.readFile(file))
          .digest('hex'),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
}

/** sha256 over sorted "key\tdigest" lines, as `sha256:<hex>`. */
async function fingerprintRows(rows: { key: string; file: string }[], cache: DigestCache, concurrency: number): Promise<string> {
  await digestFiles(
    rows.map((r) => r.file),
    cache,
    concurrency,
  );
  const lines = rows.map((r) => `${r.key}\t${cache.get(r.file)!}\n`).sort();
  const total = createHash('sha256');
  for (const line of lines) total.update(line);
  return `sha256:${total.digest('hex')}`;
}

/** The fingerprint rows of one folder's scan; `folder` (its place among several folders) prefixes each key. */
function scanRows(scan: DatasetScan, folder: number | null): { key: string; file: string }[] {
  const prefix = folder === null ? '' : `${folder}\t`;
  return SPLITS.flatMap((split) =>
    scan.splits[split].samples.map((s) => ({ key: `${prefix}${split}\t${s.label}\t${path.relative(scan.root, s.path)}`, file: s.path })),
  );
}

/**
 * sha256 over (split, label, path relative to the root, sha256 of the file's bytes) of every sample, in a
 * fixed order, so a resumed run can refuse a dataset that changed under it. Reads every image once. Several
 * folders scanned together: each row also names its folder's place in the list, and its path is relative to it.
 */
export async function fingerprintDataset(scan: DatasetScan, concurrency = 16, cache: DigestCache = new Map()): Promise<string> {
  const rows = scan.parts ? scan.parts.flatMap((part, i) => scanRows(part, i)) : scanRows(scan, null);
  return fingerprintRows(rows, cache, concurrency);
}

/**
 * The content of a set of images, whatever split they sit in: sha256 over (label, path relative to `root`,
 * sha256 of the bytes) of each. The same folder scored in full gives the same fingerprint for every run,
 * whatever seed split it; a changed, added or relabelled image changes it.
 */
export async function fingerprintSamples(root: string, samples: readonly Sample[], concurrency = 16, cache: DigestCache = new Map()): Promise<string> {
  return fingerprintRows(
    samples.map((s) => ({ key: `${s.label}\t${path.relative(root, s.path)}`, file: s.path })),
    cache,
    concurrency,
  );
}
