// Sample grid: a PNG of N real images (top row) above N fake images (bottom row) of a dataset split, with labels.
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { scanDataset, SPLITS, type Sample, type SplitName } from '../../data/index.js';
import { UnmaskError } from '../../engine/errors.js';
import { CLASS_COLORS } from './style.js';

export interface SampleGridOptions {
  /** Split to draw from (default 'test'). */
  split?: SplitName;
  /** Images per row (default 8). */
  perRow?: number;
  /** Side of each square tile in pixels (default 128). */
  tile?: number;
  /** Seed of the dataset scan, for flat layouts whose splits are derived (default 0). */
  seed?: number;
  /** Title above the grid (default "<dataset folder> · <split>"). */
  title?: string;
}

const GAP = 6;
const LABEL_WIDTH = 96;
const TITLE_HEIGHT = 40;

/** Escapes text for an SVG text node. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** `count` samples spread evenly over `samples` (sorted by path by the scan), so the grid is deterministic. */
function spread(samples: readonly Sample[], count: number): Sample[] {
  if (samples.length <= count) return [...samples];
  return Array.from({ length: count }, (_, i) => samples[Math.floor((i * samples.length) / count)]!);
}

/** Square tiles of the candidates, in order, until `count` decode (undecodable files are passed over). */
async function tiles(candidates: readonly Sample[], pool: readonly Sample[], count: number, side: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const tried = new Set<string>();
  for (const s of [...candidates, ...pool]) {
    if (out.length >= count) break;
    if (tried.has(s.path)) continue;
    tried.add(s.path);
    try {
      out.push(await sharp(s.path, { failOn: 'truncated' }).rotate().resize(side, side, { fit: 'cover' }).removeAlpha().png().toBuffer());
    } catch {
      // A file the scan accepted but that does not decode: take the next one.
    }
  }
  return out;
}

/** The SVG overlay: title and the two row labels in their class colours. */
function overlay(width: number, height: number, title: string, tile: number, counts: { real: number; fake: number }): Buffer {
  const rowY = (row: number) => TITLE_HEIGHT + row * (tile + GAP) + tile / 2;
  const label = (row: number, cls: 'real' | 'fake') =>
    `<text x="${LABEL_WIDTH - 12}" y="${rowY(row)}" text-anchor="end" dominant-baseline="middle" font-size="20" font-weight="bold" fill="${CLASS_COLORS[cls]}">${cls}</text>` +
    (counts[cls] === 0
      ? `<text x="${LABEL_WIDTH + 8}" y="${rowY(row)}" dominant-baseline="middle" font-size="16" fill="#666666">(no ${cls} images in this split)</text>`
      : '');
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="Helvetica, Arial, DejaVu Sans Condensed, sans-serif">` +
    `<text x="${width / 2}" y="${TITLE_HEIGHT / 2 + 2}" text-anchor="middle" dominant-baseline="middle" font-size="18" fill="#222222">${escapeXml(title)}</text>` +
    `${label(0, 'real')}${label(1, 'fake')}</svg>`;
  return Buffer.from(svg);
}

/**
 * Renders a PNG grid of `perRow` real images (top row) and `perRow` fake images (bottom row) of one split
 * of the dataset at `datasetPath`, picked evenly over the split's sorted files, each centre-cropped to a
 * square tile, with the row labels and a title drawn by an SVG overlay. A class with fewer images gives a
 * shorter row. Throws NOT_FOUND / DATASET_INVALID from the scan, DATASET_INVALID when the split is empty.
 */
export async function sampleGrid(datasetPath: string, options: SampleGridOptions = {}): Promise<Buffer> {
  const split = options.split ?? 'test';
  const perRow = options.perRow ?? 8;
  const tile = options.tile ?? 128;
  if (!(SPLITS as readonly string[]).includes(split))
    throw new UnmaskError('BAD_ARGUMENT', `split must be one of ${SPLITS.join(', ')}, got '${String(split)}'`);
  if (!Number.isInteger(perRow) || perRow < 1 || perRow > 64) throw new UnmaskError('BAD_ARGUMENT', `perRow must be an integer in 1…64, got ${perRow}`);
  if (!Number.isInteger(tile) || tile < 16 || tile > 1024) throw new UnmaskError('BAD_ARGUMENT', `tile must be an integer in 16…1024, got ${tile}`);
  const scan = await scanDataset(datasetPath, { seed: options.seed ?? 0 });
  const samples = scan.splits[split].samples;
  if (samples.length === 0) throw new UnmaskError('DATASET_INVALID', `${scan.root} has no ${split} images`);
  const byClass = (label: 0 | 1) => samples.filter((s) => s.label === label);
  const rows = await Promise.all(([0, 1] as const).map((label) => tiles(spread(byClass(label), perRow), byClass(label), perRow, tile)));
  const width = LABEL_WIDTH + perRow * tile + (perRow - 1) * GAP + GAP * 2;
  const height = TITLE_HEIGHT + 2 * tile + GAP + GAP * 2;
  const composites = rows.flatMap((row, r) => row.map((input, i) => ({ input, left: LABEL_WIDTH + i * (tile + GAP), top: TITLE_HEIGHT + r * (tile + GAP) })));
  const title = options.title ?? `${path.basename(scan.root)} · ${split} · real ${scan.splits[split].counts.real}, fake ${scan.splits[split].counts.fake}`;
  const counts = { real: rows[0]!.length, fake: rows[1]!.length };
  composites.push({ input: overlay(width, height, title, tile, counts), left: 0, top: 0 });
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite(composites)
    .removeAlpha()
    .png()
    .toBuffer();
}

/** Writes {@link sampleGrid}'s PNG to `file` (parent folders created). */
export async function writeSampleGrid(datasetPath: string, file: string, options: SampleGridOptions = {}): Promise<void> {
  const png = await sampleGrid(datasetPath, options);
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await fs.writeFile(file, png);
}
