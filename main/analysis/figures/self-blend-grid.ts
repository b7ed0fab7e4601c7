// The pseudo-fake figure: real training faces, their self-blended pseudo-fakes, and the blend masks, as one PNG.
import sharp from 'sharp';
import { decodeImage, rngFrom, scanDataset, type Sample } from '../../data/index.js';
import type { FaceFinder } from '../../data/face-cache.js';
import { blendMask, drawSelfBlend, placeOnFace, selfBlend } from '../../data/self-blend.js';
import { IMAGE_SIZE } from '../../data/types.js';
import { UnmaskError } from '../../engine/errors.js';
import { escapeXml } from './sample-grid.js';

const GAP = 6;
const LABEL_WIDTH = 150;
const TITLE_HEIGHT = 40;
const ROWS = ['real', 'pseudo-fake', 'blend mask'] as const;

/**
 * A PNG grid of `count` real training images of `datasetRoot` (spread over the split), each above one of its
 * self-blended pseudo-fakes and the mask it was blended through (white = the jittered copy), with row labels
 * and the blended region under each column. Seeded: the same dataset and seed draw the same figure.
 */
export async function selfBlendGrid(datasetRoot: string, options: { count?: number; tile?: number; seed?: number; faces?: FaceFinder } = {}): Promise<Buffer> {
  const count = options.count ?? 6;
  const tile = options.tile ?? 128;
  if (!Number.isInteger(count) || count < 1 || count > 32) throw new UnmaskError('BAD_ARGUMENT', `count must be 1 to 32, got ${count}`);
  const scan = await scanDataset(datasetRoot, { seed: options.seed ?? 0 });
  const reals = scan.splits.train.samples.filter((s) => s.label === 0);
  if (reals.length === 0) throw new UnmaskError('DATASET_INVALID', `${scan.root} has no real training images to blend`);
  const picked: Sample[] = Array.from(
    { length: Math.min(count, reals.length) },
    (_, i) => reals[Math.floor((i * reals.length) / Math.min(count, reals.length))]!,
  );
  const toTile = (rgb: Uint8Array, channels: 1 | 3) =>
    sharp(Buffer.from(rgb), { raw: { width: IMAGE_SIZE, height: IMAGE_SIZE, channels } })
      .resize(tile, tile)
      .png()
      .toBuffer();
  const columns = await Promise.all(
    picked.map(async (sample, i) => {
      const bytes = await decodeImage(sample.path);
      // Masks on each face's landmarks, as training blends them (the drawn template region without a face finder).
      const params = placeOnFace(drawSelfBlend(rngFrom(options.seed ?? 0, i, 0x53424746)), options.faces ? await options.faces.landmarks(bytes) : null);
      const mask = Uint8Array.from(blendMask(params), (m) => Math.round(255 * m));
      return { region: params.region, tiles: [await toTile(bytes, 3), await toTile(selfBlend(bytes, params), 3), await toTile(mask, 1)] };
    }),
  );
  const width = LABEL_WIDTH + columns.length * (tile + GAP);
  const height = TITLE_HEIGHT + ROWS.length * (tile + GAP) + 24;
  const rowY = (row: number) => TITLE_HEIGHT + row * (tile + GAP);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif">` +
    `<text x="${width / 2}" y="26" text-anchor="middle" font-size="18" font-weight="bold">${escapeXml(`Self-blended pseudo-fakes · ${scan.root.split(/[\\/]/).pop()} · train`)}</text>` +
    ROWS.map(
      (label, r) =>
        `<text x="${LABEL_WIDTH - 12}" y="${rowY(r) + tile / 2}" text-anchor="end" dominant-baseline="middle" font-size="16" font-weight="bold">${label}</text>`,
    ).join('') +
    columns
      .map(
        (c, i) =>
          `<text x="${LABEL_WIDTH + i * (tile + GAP) + tile / 2}" y="${rowY(ROWS.length) + 14}" text-anchor="middle" font-size="13" fill="#444444">${c.region}</text>`,
      )
      .join('') +
    '</svg>';
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite([
      ...columns.flatMap((c, i) => c.tiles.map((input, r) => ({ input, left: LABEL_WIDTH + i * (tile + GAP), top: rowY(r) }))),
      { input: Buffer.from(svg), left: 0, top: 0 },
    ])
    .png()
    .toBuffer();
}
