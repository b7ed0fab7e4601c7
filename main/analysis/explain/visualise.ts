// Heatmap display: matplotlib's 'jet' colour map, heatmap-on-image overlays and PNG encoding.
import sharp from 'sharp';
import { UnmaskError } from '../../engine/errors.js';
import { MEAN, STD } from '../../data/index.js';

/** matplotlib's _jet_data: per channel, (x, value) breakpoints of a piecewise-linear function on [0, 1]. */
const JET: Record<'r' | 'g' | 'b', readonly (readonly [number, number])[]> = {
  r: [
    [0, 0],
    [0.35, 0],
    [0.66, 1],
    [0.89, 1],
    [1, 0.5],
  ],
  g: [
    [0, 0],
    [0.125, 0],
    [0.375, 1],
    [0.64, 1],
    [0.91, 0],
    [1, 0],
  ],
  b: [
    [0, 0.5],
    [0.11, 1],
    [0.34, 1],
    [0.65, 0],
    [1, 0],
  ],
};

function piecewise(points: readonly (readonly [number, number])[], v: number): number {
  for (let i = 1; i < points.length; i++) {
    const [x1, y1] = points[i]!;
    if (v <= x1) {
      const [x0, y0] = points[i - 1]!;
      return y0 + ((v - x0) / (x1 - x0)) * (y1 - y0);
    }
  }
  return points[points.length - 1]![1];
}

/** matplotlib's 'jet' at v (clipped to [0, 1]) → [r, g, b] in [0, 1]; jet(0) = [0, 0, 0.5], jet(1) = [0.5, 0, 0]. */
export function jet(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, Number.isNaN(v) ? 0 : v));
  return [piecewise(JET.r, t), piecewise(JET.g, t), piecewise(JET.b, t)];
}

/** matplotlib's 256-entry lookup table for jet: entry i = jet(i / 255), as [r, g, b] floats. */
const JET_LUT: Float32Array = (() => {
  const lut = new Float32Array(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(jet(i / 255), i * 3);
  return lut;
})();

/** matplotlib's quantisation of a value in [0, 1] to a 256-entry colour map: min(255, ⌊v · 256⌋). */
function lutIndex(v: number): number {
  const t = Number.isNaN(v) ? 0 : v;
  return Math.min(255, Math.max(0, Math.floor(t * 256)));
}

/** A heatmap [H, W] as jet colours, Uint8Array [H, W, 3]. */
export function colourise(heatmap: Float32Array): Uint8Array {
  const out = new Uint8Array(heatmap.length * 3);
  for (let p = 0; p < heatmap.length; p++) {
    const i = lutIndex(heatmap[p]!) * 3;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round(JET_LUT[i + c]! * 255);
  }
  return out;
}

/** Undoes the model's input normalisation: x · STD + MEAN, clipped to [0, 1]. Float32Array [H, W, 3] in and out. */
export function denormalise(x: Float32Array): Float32Array {
  if (x.length % 3 !== 0) throw new UnmaskError('BAD_ARGUMENT', `expected [H, W, 3] values, got ${x.length}`);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % 3;
    out[i] = Math.min(1, Math.max(0, x[i]! * STD[c]! + MEAN[c]!));
  }
  return out;
}

export interface OverlayOptions {
  /** Weight of the heatmap colours (default 0.5); the image gets 1 − alpha. */
  alpha?: number;
}

/**
 * A heatmap drawn over an image, as pytorch-grad-cam's show_cam_on_image (with matplotlib's jet): per pixel
 * alpha · jet(h) + (1 − alpha) · rgb, the whole divided by its maximum, as uint8. rgb: Float32Array [H, W, 3]
 * in [0, 1] (see {@link denormalise}); heatmap: Float32Array [H, W] in [0, 1]. Returns Uint8Array [H, W, 3].
 */
export function overlay(rgb: Float32Array, heatmap: Float32Array, options: OverlayOptions = {}): Uint8Array {
  const alpha = options.alpha ?? 0.5;
  if (!(alpha >= 0 && alpha <= 1)) throw new UnmaskError('BAD_ARGUMENT', `alpha must be in [0, 1], got ${alpha}`);
  if (rgb.length !== heatmap.length * 3) {
    throw new UnmaskError('BAD_ARGUMENT', `image has ${rgb.length / 3} pixels, heatmap ${heatmap.length}`);
  }
  const mixed = new Float32Array(rgb.length);
  let max = 0;
  for (let p = 0; p < heatmap.length; p++) {
    const i = lutIndex(heatmap[p]!) * 3;
    for (let c = 0; c < 3; c++) {
      const v = alpha * JET_LUT[i + c]! + (1 - alpha) * rgb[p * 3 + c]!;
      mixed[p * 3 + c] = v;
      if (v > max) max = v;
    }
  }
  const out = new Uint8Array(rgb.length);
  const scale = max > 0 ? 255 / max : 0;
  for (let i = 0; i < mixed.length; i++) out[i] = Math.round(mixed[i]! * scale);
  return out;
}

/** Encodes RGB bytes Uint8Array [height, width, 3] as a PNG. */
export async function encodePng(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  if (rgb.length !== width * height * 3) throw new UnmaskError('BAD_ARGUMENT', `expected ${width}×${height}×3 bytes, got ${rgb.length}`);
  return sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}
