// Recognises a dataset folder's layout (train/val/test or flat; real/fake or 0_real/1_fake) and splits flat ones stably.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { UnmaskError } from '../engine/errors.js';
import { isHiddenName } from './walk.js';
import { SPLITS, type DatasetLayout, type Label, type SplitName } from './types.js';

export interface ClassFolder {
  dir: string;
  label: Label;
}

export interface ResolvedLayout {
  layout: DatasetLayout;
  /** With split folders: class folders per split. Flat: one entry under 'all'. */
  folders: Partial<Record<SplitName | 'all', ClassFolder[]>>;
}

const NAMINGS = [
  { classes: 'real/fake', real: 'real', fake: 'fake' },
  { classes: '0_real/1_fake', real: '0_real', fake: '1_fake' },
] as const;

const EXPECTED = 'expected train/, val/ and test/ each holding real/ and fake/ (or 0_real/ and 1_fake/), or just real/ and fake/ (or 0_real/ and 1_fake/)';

function invalid(message: string): UnmaskError {
  return new UnmaskError('DATASET_INVALID', message);
}

/** Visible sub-folders of `dir` (symlinks to folders count), keyed by lower-case name. */
async function subfolders(dir: string): Promise<Map<string, string>> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UnmaskError('NOT_FOUND', `dataset folder not found: ${dir}`);
    if (code === 'ENOTDIR') throw invalid(`not a folder: ${dir}`);
    throw invalid(`cannot read folder ${dir}: ${code ?? String(error)}`);
  }
  const out = new Map<string, string>();
  for (const entry of entries) {
    if (isHiddenName(entry.name)) continue;
    const full = path.join(dir, entry.name);
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (await fs.stat(full).catch(() => null))?.isDirectory());
    if (isDir) out.set(entry.name.toLowerCase(), full);
  }
  if (entries.every((e) => isHiddenName(e.name))) throw invalid(`empty folder: ${dir}`);
  return out;
}

/** The real and fake folders directly inside `dir`, or null when it has neither naming. */
async function classFolders(dir: string): Promise<{ folders: ClassFolder[]; classes: DatasetLayout['classes'] } | null> {
  const subs = await subfolders(dir);
  const found = NAMINGS.filter((n) => subs.has(n.real) || subs.has(n.fake));
  if (found.length === 0) return null;
  if (found.length > 1) throw invalid(`ambiguous class folders in ${dir}: both real/fake and 0_real/1_fake are present`);
  const naming = found[0]!;
  for (const name of [naming.real, naming.fake]) {
    if (!subs.has(name)) throw invalid(`missing class folder: ${path.join(dir, name)} (${EXPECTED})`);
  }
  const folders: ClassFolder[] = [
    { dir: subs.get(naming.real)!, label: 0 },
    { dir: subs.get(naming.fake)!, label: 1 },
  ];
  return { folders, classes: naming.classes };
}

/**
 * Finds the layout of a dataset root. Throws UnmaskError NOT_FOUND when `root` does not exist, and
 * DATASET_INVALID naming the folder when a split or class folder is missing or the folder is empty.
 * With `partialSplits`, split folders may be missing (a folder of test/{real,fake} alone, to evaluate on):
 * the splits that are there are used, and the others stay empty.
 */
export async function resolveLayout(root: string, options: { partialSplits?: boolean } = {}): Promise<ResolvedLayout> {
  const subs = await subfolders(root);
  const present = SPLITS.filter((s) => subs.has(s));
  if (present.length > 0) {
    const folders: ResolvedLayout['folders'] = {};
    let classes: DatasetLayout['classes'] | undefined;
    for (const split of SPLITS) {
      const dir = subs.get(split);
      if (dir === undefined && options.partialSplits) continue;
      if (dir === undefined) throw invalid(`missing split folder: ${path.join(root, split)} (${EXPECTED})`);
      const found = await classFolders(dir);
      if (found === null) throw invalid(`no real/ and fake/ (or 0_real/ and 1_fake/) folders in ${dir}`);
      folders[split] = found.folders;
      classes ??= found.classes;
    }
    return { layout: { splits: 'folders', classes: classes ?? 'real/fake' }, folders };
  }
  const flat = await classFolders(root);
  if (flat === null) {
    const seen = [...subs.keys()].slice(0, 8).join(', ') || 'no sub-folders';
    throw invalid(`no dataset layout recognised in ${root} (found: ${seen}); ${EXPECTED}`);
  }
  return { layout: { splits: 'derived', classes: flat.classes }, folders: { all: flat.folders } };
}

/** Split fractions for train, val, test; must sum to 1. */
export type SplitRatios = readonly [number, number, number];
export const DEFAULT_RATIOS: SplitRatios = [0.7, 0.15, 0.15];

/**
 * Stable, seeded split of ONE class's files (call once per class for a stratified split).
 * Each key (a path relative to its class folder, '/'-separated) is ranked by sha256(seed, key) and the
 * ranking is cut at round(0.7n) and round(0.85n): the result depends only on the set of keys and
 * the seed, never on listing order, and each split gets exactly its share (up to rounding).
 * Returns the split of each key, in the input order.
 */
export function stableSplit(keys: readonly string[], seed: number, ratios: SplitRatios = DEFAULT_RATIOS): SplitName[] {
  const ranked = keys
    .map((key, i) => ({ i, key, h: createHash('sha256').update(`${seed}\0${key}`).digest('hex') }))
    .sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const n = keys.length;
  const trainEnd = Math.round(ratios[0] * n);
  const valEnd = Math.min(n, trainEnd + Math.round(ratios[1] * n));
  const out = new Array<SplitName>(n);
  ranked.forEach((r, rank) => {
    out[r.i] = rank < trainEnd ? 'train' : rank < valEnd ? 'val' : 'test';
  });
  return out;
}
