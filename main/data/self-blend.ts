// Self-blended pseudo-fakes (Shiohara & Yamasaki, "Detecting Deepfakes with Self-Blended Images", CVPR 2022).
import { UnmaskError } from '../engine/errors.js';
import { gaussianBlur } from './blur.js';
import type { Rng } from './rng.js';
import { IMAGE_SIZE, IMAGE_VALUES } from './types.js';

/**
 * Where the blended region goes: the whole face, the eyes, one eye, or the nose and mouth — the parts that face
 * composites and swaps replace. Drawn relative to a typical 256 px face crop, then moved onto the face's own
 * landmarks when they are known (placeOnFace).
 */
export const BLEND_REGIONS = ['face', 'eyes', 'eye', 'mouth'] as const;
export type BlendRegion = (typeof BLEND_REGIONS)[number];

export interface SelfBlendParams {
  region: BlendRegion;
  /** Ellipse centre and semi-axes in pixels. */
  cx: number;
  cy: number;
  ax: number;
  ay: number;
  /** Standard deviation (px) of the Gaussian that softens the mask's edge, and the blend strength at its centre. */
  feather: number;
  strength: number;
  /** Source jitter: contrast gain, brightness offset, per-channel shift, blur (σ px, 0 = none) or sharpen amount. */
  gain: number;
  offset: number;
  shift: [number, number, number];
  blur: number;
  sharpen: number;
  /** Source scale about the centre and shift (px). */
  scale: number;
  dx: number;
  dy: number;
}

const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();

/** Draws one pseudo-fake's parameters (always the same number of draws, in the same order). */
export function drawSelfBlend(rng: Rng): SelfBlendParams {
  const region = BLEND_REGIONS[Math.min(3, Math.floor(rng() * 4))]!;
  const jx = uniform(rng, -12, 12);
  const jy = uniform(rng, -15, 15);
  const side = rng() < 0.5 ? -1 : 1;
  const a = rng();
  const b = rng();
  const shape: Record<BlendRegion, () => [number, number, number, number]> = {
    face: () => [128 + jx, 135 + jy * 0.8, 55 + 20 * a, 70 + 25 * b],
    eyes: () => [128 + jx, 105 + jy, 50 + 20 * a, 14 + 10 * b],
    eye: () => [128 + jx + side * (22 + 12 * a), 105 + jy, 18 + 10 * a, 12 + 8 * b],
    mouth: () => [128 + jx, 165 + jy, 25 + 15 * a, 25 + 20 * b],
  };
  const [cx, cy, ax, ay] = shape[region]();
  const feather = uniform(rng, 2, 8);
  const strengths = [0.25, 0.5, 0.75, 1, 1, 1];
  const strength = strengths[Math.min(5, Math.floor(rng() * 6))]!;
  const gain = uniform(rng, 0.85, 1.15);
  const offset = uniform(rng, -20, 20);
  const shift: [number, number, number] = [uniform(rng, -15, 15), uniform(rng, -15, 15), uniform(rng, -15, 15)];
  const filter = rng();
  const amount = rng();
  return {
    region,
    cx,
    cy,
    ax,
    ay,
    feather,
    strength,
    gain,
    offset,
    shift,
    blur: filter < 1 / 3 ? 0.5 + amount : 0,
    sharpen: filter >= 1 / 3 && filter < 2 / 3 ? 0.5 + amount : 0,
    scale: uniform(rng, 0.94, 1.06),
    dx: uniform(rng, -6, 6),
    dy: uniform(rng, -6, 6),
  };
}

/** Where drawSelfBlend's regions assume the eyes and the mouth are (a typical aligned 256 px face crop). */
const TEMPLATE_KEYPOINTS: readonly [number, number][] = [
  [100, 105],
  [156, 105],
  [128, 165],
];

/** Eye centres and mouth centre of 68 landmarks [x0, y0, …]. */
function keypoints(landmarks: readonly number[]): [number, number][] {
  const mean = (a: number, b: number): [number, number] => {
    let x = 0;
    let y = 0;
    for (let i = a; i < b; i++) {
      x += landmarks[2 * i]!;
      y += landmarks[2 * i + 1]!;
    }
    return [x / (b - a), y / (b - a)];
  };
  return [mean(36, 42), mean(42, 48), mean(48, 68)];
}

/**
 * The blend region moved onto a face: the least-squares similarity (scale s, rotation, shift) taking the
 * template's eye and mouth centres to the face's maps the ellipse centre, and s scales its axes (the ellipse
 * stays axis-aligned). So the mask covers that face's eyes, eye, mouth or face wherever the face sits in the
 * image. Without landmarks the parameters are returned as drawn.
 */
export function placeOnFace(p: SelfBlendParams, landmarks: readonly number[] | null): SelfBlendParams {
  if (!landmarks) return p;
  const src = TEMPLATE_KEYPOINTS;
  const dst = keypoints(landmarks);
  const centre = (pts: readonly [number, number][]) =>
    [pts.reduce((a, q) => a + q[0], 0) / pts.length, pts.reduce((a, q) => a + q[1], 0) / pts.length] as const;
  const [sx, sy] = centre(src);
  const [tx, ty] = centre(dst);
  // Similarity as the complex number a + ib minimising Σ |(dst − t̄) − (a + ib)(src − s̄)|².
  let num = 0;
  let numI = 0;
  let den = 0;
  src.forEach(([x, y], k) => {
    const [u, v] = [x - sx, y - sy];
    const [X, Y] = [dst[k]![0] - tx, dst[k]![1] - ty];
    num += u * X + v * Y;
    numI += u * Y - v * X;
    den += u * u + v * v;
  });
  const a = num / den;
  const b = numI / den;
  const scale = Math.hypot(a, b);
  if (!(scale > 0.05 && scale < 20)) return p;
  const [u, v] = [p.cx - sx, p.cy - sy];
  return { ...p, cx: tx + a * u - b * v, cy: ty + b * u + a * v, ax: p.ax * scale, ay: p.ay * scale };
}

/** The soft blend mask [256, 256] in [0, strength]: a feathered ellipse. */
export function blendMask(p: SelfBlendParams): Float32Array {
  const S = IMAGE_SIZE;
  const m = new Float32Array(S * S);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) m[y * S + x] = ((x - p.cx) / p.ax) ** 2 + ((y - p.cy) / p.ay) ** 2 < 1 ? 1 : 0;
  }
  gaussianBlur(m, 1, p.feather);
  for (let i = 0; i < m.length; i++) m[i] = m[i]! * p.strength;
  return m;
}

/** The jittered, slightly rescaled and shifted copy of the image that is blended back into it. */
function jitteredSource(src: Uint8Array, p: SelfBlendParams): Float32Array {
  const S = IMAGE_SIZE;
  const colour = new Float32Array(IMAGE_VALUES);
  for (let i = 0; i < IMAGE_VALUES; i++) colour[i] = src[i]! * p.gain + p.offset + p.shift[i % 3]!;
  if (p.blur > 0) gaussianBlur(colour, 3, p.blur);
  if (p.sharpen > 0) {
    const soft = colour.slice();
    gaussianBlur(soft, 3, 1);
    for (let i = 0; i < IMAGE_VALUES; i++) colour[i] = colour[i]! + p.sharpen * (colour[i]! - soft[i]!);
  }
  // Bilinear resample: output (x, y) reads source ((x - 128 - dx) / scale + 128, (y - 128 - dy) / scale + 128).
  const out = new Float32Array(IMAGE_VALUES);
  for (let y = 0; y < S; y++) {
    const sy = Math.min(S - 1, Math.max(0, (y - 128 - p.dy) / p.scale + 128));
    const y0 = Math.min(S - 2, Math.floor(sy));
    const fy = sy - y0;
    for (let x = 0; x < S; x++) {
      const sx = Math.min(S - 1, Math.max(0, (x - 128 - p.dx) / p.scale + 128));
      const x0 = Math.min(S - 2, Math.floor(sx));
      const fx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const at = (yy: number, xx: number) => colour[(yy * S + xx) * 3 + c]!;
        out[(y * S + x) * 3 + c] = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
      }
    }
  }
  return out;
}

/**
 * A self-blended pseudo-fake of a real face crop: a colour-, blur/sharpness-, scale- and shift-jittered copy of
 * the image blended back into it through a feathered mask over a face region. RGB bytes [256, 256, 3] in and out.
 */
export function selfBlend(src: Uint8Array, p: SelfBlendParams): Uint8Array {
  if (src.length !== IMAGE_VALUES) throw new UnmaskError('BAD_ARGUMENT', `expected ${IMAGE_VALUES} bytes, got ${src.length}`);
  const source = jitteredSource(src, p);
  const mask = blendMask(p);
  const out = new Uint8Array(IMAGE_VALUES);
  for (let i = 0; i < IMAGE_VALUES; i++) {
    const m = mask[Math.floor(i / 3)]!;
    out[i] = Math.min(255, Math.max(0, Math.round(source[i]! * m + src[i]! * (1 - m))));
  }
  return out;
}
