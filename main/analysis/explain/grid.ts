// Explanation grids: one row per image (image, saliency overlay, Grad-CAM overlay) rendered as SVG, then PNG.
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { UnmaskError } from '../../engine/errors.js';
import { partBoxesTensor, readsPartBoxes } from '../../models/xception-parts.js';
import { withBoundInputs } from './graph.js';
import { explainMethods } from './methods.js';
import { denormalise, encodePng, overlay } from './visualise.js';

export interface GridRow {
  /** Text shown above the row, e.g. "true: fake · predicted: real (0.73)". */
  label: string;
  /** Tiles left to right, each Uint8Array [tileSize, tileSize, 3]. */
  tiles: Uint8Array[];
}

export interface GridOptions {
  tileSize?: number;
  /** Column titles, drawn above the first row. */
  columns?: string[];
}

const PAD = 8;
const LABEL = 22;

const escapeXml = (text: string): string => text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/**
 * Lays tiles out in rows with a text label above each row (and optional column titles), as an SVG whose tiles
 * are embedded PNG data URIs, rendered to PNG by sharp. Tiles are Uint8Array [tileSize, tileSize, 3] (default 256).
 */
export async function renderGrid(rows: GridRow[], options: GridOptions = {}): Promise<Buffer> {
  const size = options.tileSize ?? 256;
  const columns = Math.max(0, ...rows.map((r) => r.tiles.length), options.columns?.length ?? 0);
  if (rows.length === 0 || columns === 0) throw new UnmaskError('BAD_ARGUMENT', 'a grid needs at least one row and one tile');
  const header = options.columns ? LABEL : 0;
  const width = PAD + columns * (size + PAD);
  const rowHeight = LABEL + size + PAD;
  const height = PAD + header + rows.length * rowHeight;
  const parts: string[] = [`<rect width="${width}" height="${height}" fill="white"/>`];
  const text = (x: number, y: number, s: string, weight = 'normal'): string =>
    `<text x="${x}" y="${y}" font-family="sans-serif" font-size="14" font-weight="${weight}" fill="black">${escapeXml(s)}</text>`;
  options.columns?.forEach((title, c) => parts.push(text(PAD + c * (size + PAD), PAD + 14, title, 'bold')));
  for (const [r, row] of rows.entries()) {
    const top = PAD + header + r * rowHeight;
    parts.push(text(PAD, top + 15, row.label));
    for (const [c, tile] of row.tiles.entries()) {
      const png = (await encodePng(tile, size, size)).toString('base64');
      parts.push(`<image x="${PAD + c * (size + PAD)}" y="${top + LABEL}" width="${size}" height="${size}" href="data:image/png;base64,${png}"/>`);
    }
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export interface GridImage {
  /** Normalised model input, Float32Array [H, W, 3] (see data/normalise). */
  input: Float32Array;
  /** True class index (0 = real, 1 = fake), when known. */
  label?: number;
  /** The face's 68 landmarks, for a detector that reads face-part boxes (null or absent: none found). */
  landmarks?: number[] | null;
}

const CLASS_NAMES = ['real', 'fake'];

/**
 * A PNG grid explaining each image: columns [image, saliency overlay, Grad-CAM overlay at `layer`], rows
 * labelled with the true class and the prediction (softmax probability). Images are [size, size, 3] with
 * size the model's input side; each is explained for its predicted class.
 */
export async function explainGrid(model: tf.LayersModel, images: GridImage[], layer: string, options: { alpha?: number } = {}): Promise<Buffer> {
  const size = model.inputs[0]!.shape[1];
  if (size == null) throw new UnmaskError('BAD_ARGUMENT', 'the model needs a fixed input size');
  const rows: GridRow[] = [];
  for (const image of images) {
    if (image.input.length !== size * size * 3) throw new UnmaskError('BAD_ARGUMENT', `expected ${size}×${size}×3 inputs`);
    const x = tf.tensor4d(image.input, [1, size, size, 3]);
    try {
      const extras = readsPartBoxes(model) ? [partBoxesTensor([image.landmarks ?? null])] : [];
      const [sal, cam] = withBoundInputs(
        model,
        extras,
        () => [explainMethods.saliency.explain(model, x), explainMethods.gradcam.explain(model, x, { layer })] as const,
      );
      tf.dispose(extras);
      const softmax = tf.softmax(sal.logits);
      const [salMap, camMap, probs] = [sal.heatmap.dataSync(), cam.heatmap.dataSync(), softmax.dataSync()];
      tf.dispose([softmax, sal.heatmap, sal.raw, sal.logits, cam.heatmap, cam.raw, cam.logits]);
      const rgb = denormalise(image.input);
      const predicted = sal.targets[0]!;
      const truth = image.label == null ? '' : `true: ${CLASS_NAMES[image.label] ?? image.label} · `;
      rows.push({
        label: `${truth}predicted: ${CLASS_NAMES[predicted] ?? predicted} (${(probs[predicted] ?? 0).toFixed(2)})`,
        tiles: [Uint8Array.from(rgb, (v) => Math.round(v * 255)), overlay(rgb, salMap as Float32Array, options), overlay(rgb, camMap as Float32Array, options)],
      });
    } finally {
      x.dispose();
    }
  }
  return renderGrid(rows, { tileSize: size, columns: ['image', 'saliency', `Grad-CAM (${layer})`] });
}
